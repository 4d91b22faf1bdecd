using Csbuild.Executor.Spec;

namespace Csbuild.Executor.Seccomp;

/// <summary>
/// Docker's default seccomp profile as data (moby profiles/seccomp/default.json): an allow-list, everything else
/// fails with EPERM. Rules with conditions (an architecture, a capability the step holds, a minimum kernel) are
/// resolved for the step by <see cref="SeccompProfileBuilder"/>, as Docker does before handing the profile to runc.
/// </summary>
internal static class DefaultSeccompProfile
{
    public const string Allow = "SCMP_ACT_ALLOW";
    public const string Errno = "SCMP_ACT_ERRNO";
    public const uint EPERM = 1;
    private const uint ENOSYS = 38;

    /// <summary>Namespace-creating clone flags (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET), refused without CAP_SYS_ADMIN.</summary>
    private const ulong CloneNamespaceFlags = 2114060288;

    /// <summary>Allowed on every architecture, whatever the capabilities.</summary>
    public static readonly IReadOnlyList<string> AlwaysAllowed =
    [
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir", "chmod",
        "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
        "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
        "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
        "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
        "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
        "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
        "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
        "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64",
        "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
        "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
        "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
        "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
        "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
        "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
        "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit",
        "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill", "landlock_add_rule",
        "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat",
        "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
        "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
        "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
        "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
        "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at",
        "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
        "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
        "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
        "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv",
        "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename",
        "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
        "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
        "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
        "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
        "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
        "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
        "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32",
        "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
        "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
        "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32",
        "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
        "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64",
        "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time",
        "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
        "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
        "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink",
        "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid",
        "waitpid", "write", "writev",
    ];

    /// <summary>Rules that apply only under their conditions, in the profile's order.</summary>
    public static readonly IReadOnlyList<SeccompRule> ConditionalRules =
    [
        new(["process_vm_readv", "process_vm_writev", "ptrace"], MinKernel: new Version(4, 8)),
        // AF_VSOCK (40) sockets reach the host; every other family is allowed.
        new(["socket"], Args: [new(0, 40, "SCMP_CMP_NE")]),
        // personality(2) only with the harmless personas: PER_LINUX, PER_LINUX32, UNAME26 variants, and queries.
        new(["personality"], Args: [new(0, 0, "SCMP_CMP_EQ")]),
        new(["personality"], Args: [new(0, 8, "SCMP_CMP_EQ")]),
        new(["personality"], Args: [new(0, 131072, "SCMP_CMP_EQ")]),
        new(["personality"], Args: [new(0, 131080, "SCMP_CMP_EQ")]),
        new(["personality"], Args: [new(0, 4294967295, "SCMP_CMP_EQ")]),
        new(["sync_file_range2", "swapcontext"], IncludeArches: ["ppc64le"]),
        new(["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"], IncludeArches: ["arm", "arm64"]),
        new(["arch_prctl"], IncludeArches: ["amd64", "x32"]),
        new(["modify_ldt"], IncludeArches: ["amd64", "x32", "x86"]),
        new(["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"], IncludeArches: ["s390", "s390x"]),
        new(["riscv_flush_icache"], IncludeArches: ["riscv64"]),
        new(["open_by_handle_at"], IncludeCaps: ["CAP_DAC_READ_SEARCH"]),
        new(["bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie", "mount",
             "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname",
             "sethostname", "setns", "syslog", "umount", "umount2", "unshare"], IncludeCaps: ["CAP_SYS_ADMIN"]),
        new(["clone"], Args: [new(0, CloneNamespaceFlags, "SCMP_CMP_MASKED_EQ")], ExcludeCaps: ["CAP_SYS_ADMIN"], ExcludeArches: ["s390", "s390x"]),
        new(["clone"], Args: [new(1, CloneNamespaceFlags, "SCMP_CMP_MASKED_EQ")], IncludeArches: ["s390", "s390x"], ExcludeCaps: ["CAP_SYS_ADMIN"]),
        // clone3 cannot be filtered by flags (they are in memory): ENOSYS makes libc fall back to clone.
        new(["clone3"], Action: Errno, ErrnoRet: ENOSYS, ExcludeCaps: ["CAP_SYS_ADMIN"]),
        new(["reboot"], IncludeCaps: ["CAP_SYS_BOOT"]),
        new(["chroot"], IncludeCaps: ["CAP_SYS_CHROOT"]),
        new(["delete_module", "init_module", "finit_module"], IncludeCaps: ["CAP_SYS_MODULE"]),
        new(["acct"], IncludeCaps: ["CAP_SYS_PACCT"]),
        new(["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"], IncludeCaps: ["CAP_SYS_PTRACE"]),
        new(["iopl", "ioperm"], IncludeCaps: ["CAP_SYS_RAWIO"]),
        new(["settimeofday", "stime", "clock_settime", "clock_settime64"], IncludeCaps: ["CAP_SYS_TIME"]),
        new(["vhangup"], IncludeCaps: ["CAP_SYS_TTY_CONFIG"]),
        new(["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"], IncludeCaps: ["CAP_SYS_NICE"]),
        new(["syslog"], IncludeCaps: ["CAP_SYSLOG"]),
        new(["bpf"], IncludeCaps: ["CAP_BPF"]),
        new(["perf_event_open"], IncludeCaps: ["CAP_PERFMON"]),
    ];
}

/// <summary>One conditional rule: it applies when every Include holds and no Exclude does.</summary>
internal sealed record SeccompRule(
    IReadOnlyList<string> Names,
    string Action = DefaultSeccompProfile.Allow,
    uint? ErrnoRet = null,
    IReadOnlyList<SpecSeccompArg>? Args = null,
    IReadOnlyList<string>? IncludeArches = null,
    IReadOnlyList<string>? IncludeCaps = null,
    Version? MinKernel = null,
    IReadOnlyList<string>? ExcludeArches = null,
    IReadOnlyList<string>? ExcludeCaps = null);
