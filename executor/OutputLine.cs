namespace Csbuild.Executor;

public enum OutputStream { Stdout, Stderr }

/// <summary>One line a step printed, without its line terminator, stamped when it was read.</summary>
public sealed record OutputLine(OutputStream Stream, string Text, DateTimeOffset Timestamp);
