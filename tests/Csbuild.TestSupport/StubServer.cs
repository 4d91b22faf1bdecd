using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Csbuild.TestSupport;

/// <summary>What a stub server received.</summary>
public sealed record StubRequest(string Method, string PathAndQuery, string? Authorization, string? Range, string? ContentRange, byte[] Body);

/// <summary>
/// A tiny HTTP server (HttpListener) whose answers a test scripts, to play a misbehaving registry, a token server,
/// blob storage or a file server for ADD. Requests are recorded with their bodies (tests keep bodies small).
/// </summary>
public sealed class StubServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<HttpListenerContext, StubRequest, Task> _handle;
    private readonly ConcurrentQueue<StubRequest> _requests = new();
    private readonly Task _loop;

    public StubServer(Func<HttpListenerContext, StubRequest, Task> handle, string hostName = "127.0.0.1")
    {
        _handle = handle;
        for (int attempt = 0; ; attempt++)
        {
            // The port is free when chosen but may be taken before we bind it: try another.
            Port = FreePort();
            _listener = new HttpListener();
            _listener.Prefixes.Add($"http://{hostName}:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                _listener.Abort();
            }
        }
        Host = $"{hostName}:{Port}";
        _loop = Task.Run(AcceptLoop);
    }

    public int Port { get; }

    /// <summary>host:port, as it appears in image references.</summary>
    public string Host { get; }

    public IReadOnlyList<StubRequest> Requests => [.. _requests];

    public IReadOnlyList<StubRequest> RequestsTo(string pathPrefix) => [.. _requests.Where(r => r.PathAndQuery.StartsWith(pathPrefix, StringComparison.Ordinal))];

    private async Task AcceptLoop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => Serve(context));
        }
    }

    private async Task Serve(HttpListenerContext context)
    {
        try
        {
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var request = new StubRequest(context.Request.HttpMethod, context.Request.Url!.PathAndQuery,
                context.Request.Headers["Authorization"], context.Request.Headers["Range"], context.Request.Headers["Content-Range"], body.ToArray());
            _requests.Enqueue(request);
            await _handle(context, request);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away or the response was aborted on purpose.
        }
    }

    public static async Task Respond(HttpListenerContext context, int status, byte[]? body = null, string? contentType = null, params (string Name, string Value)[] headers)
    {
        var response = context.Response;
        response.StatusCode = status;
        foreach (var (name, value) in headers) response.AddHeader(name, value);
        if (contentType is not null) response.ContentType = contentType;
        response.ContentLength64 = body?.Length ?? 0;
        if (body is { Length: > 0 }) await response.OutputStream.WriteAsync(body);
        response.Close();
    }

    public static Task RespondJson(HttpListenerContext context, int status, string json, params (string Name, string Value)[] headers) =>
        Respond(context, status, Encoding.UTF8.GetBytes(json), "application/json", headers);

    /// <summary>Announces <paramref name="body"/>'s full length, sends only the first <paramref name="sent"/> bytes and drops the connection.</summary>
    public static async Task RespondTruncated(HttpListenerContext context, byte[] body, int sent)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body.AsMemory(0, sent));
        await response.OutputStream.FlushAsync();
        response.Abort();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        // Close alone: Stop followed by Close would unregister the prefix twice, which rebinds the port in the managed listener.
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
