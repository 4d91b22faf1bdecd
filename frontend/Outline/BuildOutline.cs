namespace Csbuild.Frontend.Outline;

/// <summary>
/// What a build takes (<c>--call outline</c>), as BuildKit's <c>frontend.outline</c> subrequest reports it: the build
/// arguments, secrets and SSH agents the target's stages use. Descriptions come from the comment line right above
/// the instruction that starts with the name (<c># VERSION the release to package</c>).
/// </summary>
public sealed record BuildOutline(string? Name, string? Description, IReadOnlyList<OutlineArg> Args, IReadOnlyList<OutlineSecret> Secrets, IReadOnlyList<OutlineSecret> Ssh);

/// <summary>A build argument: its effective value (the <c>--build-arg</c>, else the default) and description.</summary>
public sealed record OutlineArg(string Name, string? Value, string? Description, int Line);

/// <summary>A secret or SSH agent id a RUN --mount uses, and whether any use marks it required.</summary>
public sealed record OutlineSecret(string Name, bool Required, int Line);

/// <summary>The stages a Dockerfile offers as <c>--target</c> (<c>--call targets</c>); the last is the default.</summary>
public sealed record BuildTarget(string? Name, string? Description, bool Default, string Base, string? Platform, int Line);
