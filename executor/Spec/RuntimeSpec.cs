namespace Csbuild.Executor.Spec;

// The subset of the OCI runtime-spec (config.json, v1.0.2) that RUN steps use.
// Property names map to the spec's camelCase field names through RuntimeSpecJson's naming policy.

public sealed class RuntimeSpec
{
    public string OciVersion { get; set; } = "1.0.2";
    public required SpecProcess Process { get; set; }
    public required SpecRoot Root { get; set; }
    public string? Hostname { get; set; }
    public List<SpecMount> Mounts { get; set; } = [];
    public required SpecLinux Linux { get; set; }
}

public sealed class SpecProcess
{
    public bool Terminal { get; set; }
    public required SpecUser User { get; set; }
    public required List<string> Args { get; set; }
    public List<string> Env { get; set; } = [];
    public required string Cwd { get; set; }
    public SpecCapabilities? Capabilities { get; set; }
    public List<SpecRlimit>? Rlimits { get; set; }
    public bool NoNewPrivileges { get; set; }
}

public sealed class SpecUser
{
    public uint Uid { get; set; }
    public uint Gid { get; set; }
    public List<uint>? AdditionalGids { get; set; }
}

public sealed class SpecCapabilities
{
    public List<string>? Bounding { get; set; }
    public List<string>? Effective { get; set; }
    public List<string>? Permitted { get; set; }
}

public sealed class SpecRlimit
{
    public required string Type { get; set; }
    public ulong Hard { get; set; }
    public ulong Soft { get; set; }
}

public sealed class SpecRoot
{
    public required string Path { get; set; }
    public bool Readonly { get; set; }
}

public sealed class SpecMount
{
    public required string Destination { get; set; }
    public required string Type { get; set; }
    public required string Source { get; set; }
    public List<string>? Options { get; set; }
}

public sealed class SpecLinux
{
    public List<SpecNamespace> Namespaces { get; set; } = [];
    public SpecResources? Resources { get; set; }
    public string? CgroupsPath { get; set; }
    public List<string>? MaskedPaths { get; set; }
    public List<string>? ReadonlyPaths { get; set; }
    public SpecSeccomp? Seccomp { get; set; }
}

public sealed class SpecSeccomp
{
    public required string DefaultAction { get; set; }
    public uint? DefaultErrnoRet { get; set; }
    public List<string> Architectures { get; set; } = [];
    public List<SpecSyscall> Syscalls { get; set; } = [];
}

public sealed class SpecSyscall
{
    public required List<string> Names { get; set; }
    public required string Action { get; set; }
    public uint? ErrnoRet { get; set; }
    public List<SpecSeccompArg>? Args { get; set; }
}

/// <summary>A condition on syscall argument <see cref="Index"/>; <see cref="Op"/> is an SCMP_CMP_* name.</summary>
public sealed record SpecSeccompArg(uint Index, ulong Value, string Op)
{
    public ulong? ValueTwo { get; init; }
}

public sealed class SpecNamespace
{
    public required string Type { get; set; }
}

public sealed class SpecResources
{
    public List<SpecDeviceRule>? Devices { get; set; }
    public SpecMemory? Memory { get; set; }
    public SpecCpu? Cpu { get; set; }
    public SpecPids? Pids { get; set; }
}

public sealed class SpecDeviceRule
{
    public bool Allow { get; set; }
    public string? Access { get; set; }
}

public sealed class SpecMemory
{
    public long? Limit { get; set; }
    public long? Swap { get; set; }
}

public sealed class SpecCpu
{
    public long? Quota { get; set; }
    public ulong? Period { get; set; }
}

public sealed class SpecPids
{
    public long Limit { get; set; }
}
