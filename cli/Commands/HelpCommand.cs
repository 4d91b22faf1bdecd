using System.CommandLine;

namespace Csbuild.Cli.Commands;

/// <summary>
/// <c>csbuild help [TOPIC|COMMAND]</c>: man-page-like explanations of topics that no single command's --help covers
/// (build, cache, outputs, dockerfile, config, exit-codes); given a command name, that command's --help.
/// </summary>
internal static class HelpCommand
{
    public static Command Create(RootCommand root)
    {
        var topic = new Argument<string?>("TOPIC") { Description = "A topic (" + string.Join(", ", Topics.Keys) + ") or a command name", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("help", "Show help on a topic or a command") { topic };
        command.SetAction(parse =>
        {
            var wanted = parse.GetValue(topic);
            if (wanted is null)
            {
                Console.Out.Write(Overview(root));
                return ExitCodes.Ok;
            }
            if (Topics.TryGetValue(wanted.ToLowerInvariant(), out var text))
            {
                Console.Out.Write(text);
                return ExitCodes.Ok;
            }
            if (root.Subcommands.Any(c => c.Name == wanted))
                return root.Parse([wanted, "--help"]).Invoke();
            Console.Error.WriteLine($"error: no help topic or command '{wanted}'. Topics: {string.Join(", ", Topics.Keys)}");
            return ExitCodes.Usage;
        });
        return command;
    }

    private static string Overview(RootCommand root)
    {
        var commands = root.Subcommands.Where(c => !c.Hidden).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        int width = commands.Max(c => c.Name.Length);
        return "csbuild: a daemonless, BuildKit-class container image builder.\n\n"
            + "USAGE\n    csbuild [build] [OPTIONS] PATH\n    csbuild COMMAND [OPTIONS] [ARGS]\n\n"
            + "COMMANDS\n" + string.Concat(commands.Select(c => $"    {c.Name.PadRight(width)}   {c.Description?.Split('\n')[0]}\n"))
            + "\nTOPICS (csbuild help TOPIC)\n" + string.Concat(Topics.Keys.Select(k => $"    {k}\n"))
            + "\nEvery command has --help. The full reference is docs/cli.md.\n";
    }

    public static readonly IReadOnlyDictionary<string, string> Topics = new Dictionary<string, string>
    {
        ["build"] = """
            NAME
                csbuild build - build an image from a Dockerfile

            SYNOPSIS
                csbuild [build] [-t NAME[:TAG]]... [-f DOCKERFILE|-] [--build-arg K=V]... [--target STAGE]
                        [--build-context NAME=DIR|docker-image://REF|oci-layout://PATH]... [--allow ENTITLEMENT]
                        [--call build|check|outline|targets] [--cache-from SPEC]... [--cache-to SPEC]...
                        [--no-cache] [--progress auto|tty|plain|rawjson|quiet] [--push] PATH|URL|-

                PATH is a directory; URL a git repository (https://…/repo.git#ref:subdir, git@…) or a tarball;
                - reads a tar context (or a lone Dockerfile) from standard input. csbuild build --help lists
                every flag.

            DESCRIPTION
                Reads the Dockerfile (PATH/Dockerfile unless -f says otherwise) and the build context PATH
                (honouring PATH/.dockerignore, or DOCKERFILE.dockerignore next to the Dockerfile), turns the
                stages the target needs into a build graph and runs it: independent steps in parallel (--jobs),
                RUN steps in runc containers on overlayfs, COPY and ADD without a container. Each step has a
                cache key computed from its definition, its inputs and the content of the files it reads, so a
                rebuild runs only the steps whose key changed (see: csbuild help cache).

                The result is stored in the local image store under each -t name; --push also uploads it to
                the registry named by each tag; --iidfile writes the image id (the manifest digest).
                `build` may be omitted: `csbuild -t app .` is `csbuild build -t app .`.

            PROGRESS
                auto     tty on a terminal, plain otherwise (or when $CI is set)
                tty      a live view: one line per step, cached steps dimmed, the last log lines of
                         running steps; a summary stays on screen at the end. NO_COLOR=1 removes colours.
                plain    BuildKit's log format: "#N name", "#N 0.123 output", "#N DONE 1.2s", "#N CACHED"
                rawjson  one JSON object per event, for tools
                quiet    nothing but errors; -q also prints the image id on stdout

            REPRODUCIBILITY
                SOURCE_DATE_EPOCH (environment or --build-arg) clamps file times in new layers and sets the
                image's creation time, so the same inputs give the same image digest.

            SEE ALSO
                csbuild help cache, csbuild help dockerfile, csbuild help outputs, csbuild help exit-codes

            """,
        ["cache"] = """
            NAME
                cache - how csbuild decides what to rebuild, and where it keeps things

            CACHE KEYS
                key = sha256(op definition || input keys || content selectors)
                A COPY's selector is a checksum of the copied files' contents and metadata (not their mtimes),
                a FROM's is the resolved manifest digest. When a key is found, the step is not run: plain
                progress prints "#N CACHED". Change one file and only the COPY that reads it, and the steps
                after it, run again.

            CONTROLS
                --no-cache                   run every step, record the results anew
                --no-cache-filter STAGE      the same for the named stages only
                --pull                       look for a newer base image even when one is stored

            SHARED CACHE (CI runners)
                --cache-to type=registry,ref=REPO:TAG[,mode=min|max][,compression=gzip|zstd|uncompressed]
                           type=local,dest=DIR[,tag=T]     type=inline (records in the image's own config)
                           [,cache-mounts=true] also exports RUN --mount=type=cache directories
                           [,ignore-error=true] a failed export warns instead of failing the build
                --cache-from type=registry,ref=REPO:TAG | type=local,src=DIR | REPO:TAG (an image with an
                           inline cache works too); several are tried in order. A missing or corrupt cache
                           is a warning, never a failed build. Layers are downloaded only when a step or the
                           image needs them. mode=min: the final stage's steps; mode=max: every step.
                See docs/cache-format.md and docs/ci.md.

            STORAGE
                Everything lives under one root directory: --root, else $CSBUILD_ROOT, else the config
                file's `root`, else /var/lib/csbuild (as root) or $XDG_DATA_HOME/csbuild.
                    blobs/sha256/    content store shared by cache and images
                    snapshots/       unpacked layers used as overlay lower dirs
                    cache.db         SQLite: cache keys, layers, images and tags, last-use times
                    index.json       the image store as an OCI image layout (skopeo and umoci read it)
                Several csbuild processes may share a root. A killed build leaves it usable.

            CLEANING UP
                csbuild rmi NAME removes a name only; the layers stay while the cache or another image uses
                them. csbuild du shows what takes space; csbuild prune removes unused cache down to the
                budget (gc.keep_storage in the config file, see: csbuild help config).

            """,
        ["outputs"] = """
            NAME
                outputs - where a built image goes

            LOCAL IMAGE STORE (default)
                csbuild build -t app:1 .     names the image app:1 in the local store
                csbuild images               lists it; csbuild inspect, history, run, tag and rmi use it
                The store is an OCI image layout at the root directory:
                    skopeo inspect oci:ROOT:app:1
                    skopeo copy oci:ROOT:app:1 docker-archive:app.tar:app:1

            REGISTRY
                csbuild build --push -t registry.example.com/team/app:1 .
                csbuild push app:1 registry.example.com/team/app:1
                Credentials come from csbuild login / docker login (~/.docker/config.json, credential
                helpers) or CSBUILD_REGISTRY_USERNAME / CSBUILD_REGISTRY_PASSWORD. A plain-HTTP or
                self-signed registry must be allowed with --insecure-registry HOST[:PORT] or in the config
                file ([registry."HOST"] insecure = true); localhost may use plain HTTP without that.

            IMAGE ID
                --iidfile FILE writes the manifest digest; -q prints it on stdout. The same digest is what
                csbuild images --quiet, inspect and history show.

            """,
        ["dockerfile"] = """
            NAME
                dockerfile - the Dockerfile language csbuild reads

            DESCRIPTION
                csbuild reads the Dockerfile syntax of docker build / BuildKit:
                  - parser directives (# syntax=, # escape=, # check=), line continuations, comments
                  - FROM [--platform] IMAGE [AS NAME], multi-stage builds, --target, FROM a previous stage
                  - RUN (shell and exec form, here-documents), CMD, ENTRYPOINT, SHELL
                  - COPY and ADD (--from, --chown, --chmod, --link, --exclude, --parents;
                    ADD also --checksum, --keep-git-dir)
                  - ENV, ARG (global and per stage, --build-arg), LABEL, USER, WORKDIR, EXPOSE, VOLUME,
                    STOPSIGNAL, HEALTHCHECK, ONBUILD, MAINTAINER
                  - variables: $x, ${x}, ${x:-default}, ${x:+alt}, ${x#pattern}, ${x%pattern}, ...
                Instructions or flags this version cannot honour fail the build with a message naming them,
                rather than being ignored. Build checks (BuildKit's rules) run on every build; with the
                directive `# check=error=true` a check that fires fails the build.

            BASE IMAGES
                FROM looks in the local store first and pulls from the registry when the image is missing
                (or always with --pull). `csbuild import ROOTFS.tar NAME` makes a base image from a root
                filesystem tarball, for machines without registry access.

            """,
        ["config"] = """
            NAME
                config - csbuild's configuration file

            FILES
                /etc/csbuild/config.toml                   for the whole machine
                $XDG_CONFIG_HOME/csbuild/config.toml       per user (default ~/.config/csbuild/config.toml)
                $CSBUILD_CONFIG                             if set: only this file is read
                Later sources win key by key: defaults < /etc file < user file < environment < flags.
                `csbuild config show` prints the effective values and where each came from.

            FORMAT (a subset of TOML)
                root = "/var/lib/csbuild"        # state directory (env CSBUILD_ROOT, flag --root)
                runtime = "runc"                 # OCI runtime for RUN steps and csbuild run

                [gc]
                keep_storage = "20GB"            # cache budget for prune; bytes or a size (1GB = 1024^3)

                [registry."docker.io"]
                mirrors = ["mirror.gcr.io"]      # pull mirrors (host[:port]) asked first, in order; a
                                                 # miss or a dead mirror falls back to the registry

                [registry."localhost:5000"]
                insecure = true                  # plain HTTP or an unverified certificate allowed

                Strings ("..." or '...'), integers, true/false and arrays of them; # comments. Unknown
                keys and values of the wrong type are errors naming the file and line (exit code 2).

            """,
        ["exit-codes"] = """
            NAME
                exit-codes - what csbuild's exit status means

            ALL COMMANDS
                0   success
                1   the build or request failed for a reason in its input: a Dockerfile error, a RUN
                    step that exited non-zero, an image or tag that does not exist, credentials refused,
                    a registry that answered "not found" or "denied"; also Ctrl-C
                2   usage: unknown flag, missing or invalid argument, invalid config file
                3   infrastructure: csbuild could not do its work (root directory not writable, runc
                    missing or failing, disk full, registry unreachable, corrupt store)

            csbuild run
                the exit status of the container's process, or
                125  csbuild run itself failed (image not found, runtime error, ...)
                126  the command was found but could not be executed
                127  the command was not found
                (usage errors found while parsing flags are still 2)

            """,
    };
}
