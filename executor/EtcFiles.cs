namespace Csbuild.Executor;

/// <summary>
/// The /etc/hosts, /etc/resolv.conf and /etc/hostname a step sees. They are generated per step and
/// bind-mounted read-only, never written into the image (as Docker and BuildKit do).
/// </summary>
public sealed record EtcFiles(string HostsPath, string ResolvConfPath, string HostnamePath)
{
    private const string HostResolvConf = "/etc/resolv.conf";

    /// <summary>Writes the three files into <paramref name="directory"/>.</summary>
    public static EtcFiles Write(string directory, string hostname, ContainerNetwork network)
    {
        var files = new EtcFiles(
            Path.Combine(directory, "hosts"),
            Path.Combine(directory, "resolv.conf"),
            Path.Combine(directory, "hostname"));
        File.WriteAllText(files.HostsPath,
            $"127.0.0.1\tlocalhost {hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        File.WriteAllText(files.ResolvConfPath, ResolvConf(network));
        File.WriteAllText(files.HostnamePath, hostname + "\n");
        return files;
    }

    /// <summary>
    /// The host's resolver configuration. Without a network of its own the step cannot reach a resolver on
    /// the host's loopback (it has its own), so loopback nameservers are dropped rather than left to time out.
    /// </summary>
    private static string ResolvConf(ContainerNetwork network)
    {
        if (!File.Exists(HostResolvConf)) return "";
        var lines = File.ReadAllLines(HostResolvConf);
        if (network == ContainerNetwork.Host) return string.Join('\n', lines) + "\n";
        return string.Concat(lines.Where(line => !IsLoopbackNameserver(line)).Select(line => line + "\n"));
    }

    private static bool IsLoopbackNameserver(string line)
    {
        var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && fields[0] == "nameserver" &&
               (fields[1].StartsWith("127.", StringComparison.Ordinal) || fields[1] == "::1");
    }
}
