using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;

namespace Csbuild.Oci.Registry.Credentials;

/// <summary>
/// Runs a docker credential helper (<c>docker-credential-&lt;name&gt; get</c>): the server address goes to stdin,
/// a JSON object <c>{"ServerURL","Username","Secret"}</c> comes back on stdout.
/// </summary>
public static class DockerCredentialHelper
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <returns>Null when the helper reports that it holds no credentials for the server.</returns>
    public static async Task<RegistryCredential?> GetAsync(string helperName, string serverAddress, CancellationToken cancellationToken)
    {
        if (helperName.Length == 0 || helperName.IndexOfAny(['/', '\\', ' ']) >= 0)
            throw new InvalidOperationException($"invalid credential helper name '{helperName}'");
        var program = "docker-credential-" + helperName;

        var startInfo = new ProcessStartInfo(program, "get")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start credential helper {program}");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"credential helper {program} (configured in docker config.json) was not found on PATH: {e.Message}", e);
        }

        using (process)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(Timeout);
            try
            {
                var stdoutTask = process.StandardOutput.ReadToEndAsync(timeout.Token);
                var stderrTask = process.StandardError.ReadToEndAsync(timeout.Token);
                await process.StandardInput.WriteAsync(serverAddress.AsMemory(), timeout.Token).ConfigureAwait(false);
                process.StandardInput.Close();
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                var stdout = await stdoutTask.ConfigureAwait(false);
                var stderr = await stderrTask.ConfigureAwait(false);
                return Interpret(program, serverAddress, process.ExitCode, stdout, stderr);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                TryKill(process);
                throw new InvalidOperationException($"credential helper {program} did not answer within {Timeout.TotalSeconds:0} s");
            }
            catch (OperationCanceledException)
            {
                TryKill(process);
                throw;
            }
        }
    }

    private static RegistryCredential? Interpret(string program, string serverAddress, int exitCode, string stdout, string stderr)
    {
        if (exitCode != 0)
        {
            // docker-credential-helpers' conventional "not found" message, printed on stdout.
            if (stdout.Contains("credentials not found", StringComparison.OrdinalIgnoreCase)) return null;
            var reason = FirstLine(stderr) ?? FirstLine(stdout) ?? "no output";
            throw new InvalidOperationException($"credential helper {program} failed for {serverAddress} (exit code {exitCode}): {reason}");
        }

        CredentialHelperResponse? response;
        try
        {
            response = JsonSerializer.Deserialize(stdout, RegistryJsonContext.Default.CredentialHelperResponse);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"credential helper {program} printed invalid JSON for {serverAddress}: {e.Message}", e);
        }
        if (response is null || string.IsNullOrEmpty(response.Secret)) return null;
        // The helper protocol marks an identity (refresh) token with the user name "<token>".
        if (response.Username == "<token>") return new RegistryCredential(null, null, response.Secret);
        return new RegistryCredential(response.Username, response.Secret);
    }

    private static string? FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return line is null ? null : line.Length > 200 ? line[..200] : line;
    }

    private static void TryKill(Process process)
    {
        try { process.Kill(); } catch (InvalidOperationException) { /* already exited */ }
    }
}
