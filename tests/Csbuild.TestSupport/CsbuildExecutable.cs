using System.Diagnostics;

namespace Csbuild.TestSupport;

/// <summary>
/// The csbuild program that end-to-end tests drive as a user would. <c>CSBUILD_BIN</c> names a binary — ./test.sh
/// sets it to the native (ahead-of-time compiled) program it ships, so the tests check what users run — and without it
/// the cli project's <c>csbuild.dll</c> next to the test assembly runs under <c>dotnet</c> (a plain <c>dotnet test</c>).
/// </summary>
public static class CsbuildExecutable
{
    private static readonly string? Binary = FindBinary();

    /// <summary>The file to start: the native binary, or <c>dotnet</c>.</summary>
    public static string FileName => Binary ?? "dotnet";

    /// <summary>What goes before csbuild's own arguments: nothing, or the path of csbuild.dll.</summary>
    public static IReadOnlyList<string> LeadingArguments =>
        Binary is null ? [Path.Combine(AppContext.BaseDirectory, "csbuild.dll")] : [];

    /// <summary>The program and its leading arguments as words for <c>sh</c>, each single-quoted.</summary>
    public static string ShellWords => string.Join(' ', new[] { FileName }.Concat(LeadingArguments).Select(ShellQuote));

    /// <summary>The whole command line as a list: the program, its leading arguments, then <paramref name="arguments"/>.</summary>
    public static IReadOnlyList<string> CommandLine(IEnumerable<string> arguments) => [FileName, .. LeadingArguments, .. arguments];

    /// <summary>Runs csbuild to completion (see <see cref="ProcessRunner.Run(string, IEnumerable{string}, string?, IDictionary{string, string?}?, string?, TimeSpan?)"/>).</summary>
    public static ProcessResult Run(IEnumerable<string> arguments, string? workingDirectory = null,
        IDictionary<string, string?>? environment = null, string? stdin = null, TimeSpan? timeout = null) =>
        ProcessRunner.Run(FileName, [.. LeadingArguments, .. arguments], workingDirectory, environment, stdin, timeout);

    /// <summary>A start description with redirected output, for tests that start csbuild and watch or kill it.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(FileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in LeadingArguments.Concat(arguments)) start.ArgumentList.Add(argument);
        return start;
    }

    /// <summary>Writes an executable <c>csbuild</c> script into <paramref name="directory"/> (for PATH), returning its path.</summary>
    public static string WriteShim(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "csbuild");
        File.WriteAllText(path, $"#!/bin/sh\nexec {ShellWords} \"$@\"\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    private static string ShellQuote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string? FindBinary()
    {
        var configured = Environment.GetEnvironmentVariable("CSBUILD_BIN");
        if (string.IsNullOrEmpty(configured)) return null;
        var full = Path.GetFullPath(configured);
        // A named binary that is not there is a broken test setup, not a reason to test another program quietly.
        if (!File.Exists(full)) throw new FileNotFoundException($"CSBUILD_BIN names {full}, which does not exist", full);
        return full;
    }
}
