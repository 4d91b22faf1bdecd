using System.Net.Sockets;
using Csbuild.Oci.Native;

namespace Csbuild.Solver.Ops;

/// <summary>
/// A Unix socket for one step that forwards every connection to the user's SSH agent. The step gets its own
/// socket (with the mount's mode and owner) instead of the agent's, so the agent socket's permissions are never
/// changed and the forwarding ends with the step. Keys stay in the agent: only its protocol passes through.
/// </summary>
internal sealed class SshAgentProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _agentPath;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    private SshAgentProxy(Socket listener, string agentPath, string path)
    {
        _listener = listener;
        _agentPath = agentPath;
        Path = path;
        _acceptLoop = AcceptLoopAsync();
    }

    public string Path { get; }

    public static SshAgentProxy Start(string agentSocket, string path, int mode, uint uid, uint gid)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, (UnixFileMode)mode);
            Libc.ChangeOwnerNoFollow(path, (int)uid, (int)gid);
            listener.Listen(16);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        return new SshAgentProxy(listener, agentSocket, path);
    }

    private async Task AcceptLoopAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptAsync(_stop.Token);
                connections.Add(ForwardAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped with the step.
        }
        await Task.WhenAll(connections);
    }

    private async Task ForwardAsync(Socket client)
    {
        using (client)
        using (var agent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                await agent.ConnectAsync(new UnixDomainSocketEndPoint(_agentPath), _stop.Token);
                await using var clientStream = new NetworkStream(client, ownsSocket: false);
                await using var agentStream = new NetworkStream(agent, ownsSocket: false);
                // Either side closing ends the conversation.
                await Task.WhenAny(Pump(clientStream, agentStream), Pump(agentStream, clientStream));
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                // The step or the agent went away: nothing to report to the build.
            }
        }
    }

    private async Task Pump(Stream from, Stream to)
    {
        try
        {
            await from.CopyToAsync(to, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        _stop.Dispose();
        File.Delete(Path);
    }
}
