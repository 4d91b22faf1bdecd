namespace Csbuild.Executor;

/// <summary>The identity a step runs as, after looking the USER value up in the image.</summary>
/// <param name="AdditionalGids">Supplementary groups (groups that list the user as a member), as Docker computes them.</param>
/// <param name="Home">The user's home directory from /etc/passwd, or "/" when the user has no entry.</param>
public sealed record ResolvedUser(uint Uid, uint Gid, IReadOnlyList<uint> AdditionalGids, string Home);
