using System.Net;
using Csbuild.TestSupport;

namespace Csbuild.Hardening.Support;

/// <summary>What the proxy does to one request.</summary>
public enum Fault { None, Error500, TooManyRequests, CutShort, Slow }

/// <summary>
/// A registry that misbehaves: a StubServer in front of a real registry that forwards each request, except that
/// a test-chosen schedule answers some with 500, 429 (Retry-After: 0), a body cut short by a dropped connection
/// (GETs with a body; other requests are forwarded untouched), or a slow answer.
/// Counts what it injected.
/// </summary>
public sealed class FaultyProxy : IDisposable
{
    private static readonly HashSet<string> SkippedHeaders = new(StringComparer.OrdinalIgnoreCase)
        { "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Date", "Server" };

    private readonly RegistryFixture _registry;
    private readonly Func<int, StubRequest, Fault> _schedule;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false });
    private readonly StubServer _server;
    private int _requests, _faults;

    public FaultyProxy(RegistryFixture registry, Func<int, StubRequest, Fault> schedule)
    {
        _registry = registry;
        _schedule = schedule;
        _server = new StubServer(HandleAsync);
    }

    public string Host => _server.Host;
    public int FaultsInjected => _faults;
    public int Requests => _requests;

    private async Task HandleAsync(HttpListenerContext context, StubRequest request)
    {
        var fault = _schedule(Interlocked.Increment(ref _requests), request);
        if (fault == Fault.CutShort && request.Method != "GET") fault = Fault.None;
        if (fault is not (Fault.None or Fault.CutShort)) Interlocked.Increment(ref _faults);
        switch (fault)
        {
            case Fault.Error500:
                await StubServer.RespondJson(context, 500, """{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}""");
                return;
            case Fault.TooManyRequests:
                await StubServer.RespondJson(context, 429, """{"errors":[{"code":"TOOMANYREQUESTS","message":"injected"}]}""", ("Retry-After", "0"));
                return;
            case Fault.Slow:
                await Task.Delay(400);
                break;
        }
        await ForwardAsync(context, request, cutShort: fault == Fault.CutShort);
    }

    private async Task ForwardAsync(HttpListenerContext context, StubRequest request, bool cutShort)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(_registry.BaseUri, request.PathAndQuery));
        if (request.Body.Length > 0 || request.Method is "PUT" or "PATCH" or "POST")
        {
            message.Content = new ByteArrayContent(request.Body);
            if (context.Request.ContentType is { } type) message.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            if (request.ContentRange is { } range) message.Content.Headers.TryAddWithoutValidation("Content-Range", range);
        }
        foreach (var name in new[] { "Accept", "Authorization", "Range" })
            if (context.Request.Headers.GetValues(name) is { } values) message.Headers.TryAddWithoutValidation(name, values);

        using var response = await _http.SendAsync(message);
        var body = await response.Content.ReadAsByteArrayAsync();
        var headers = response.Headers.Concat(response.Content.Headers)
            .Where(h => !SkippedHeaders.Contains(h.Key) && h.Key != "Content-Type")
            .SelectMany(h => h.Value.Select(v => (h.Key, v.Replace(_registry.Host, Host, StringComparison.Ordinal))))
            .ToArray();
        if (request.Method == "HEAD")
        {
            // A HEAD answer announces the length without a body.
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, value) in headers) context.Response.AddHeader(name, value);
            if (response.Content.Headers.ContentType is { } headType) context.Response.ContentType = headType.ToString();
            if (response.Content.Headers.ContentLength is { } length) context.Response.ContentLength64 = length;
            context.Response.Close();
            return;
        }
        if (cutShort && body.Length > 1)
        {
            // The whole length is announced, half is sent, then the connection drops.
            Interlocked.Increment(ref _faults);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, value) in headers) context.Response.AddHeader(name, value);
            if (response.Content.Headers.ContentType is { } cutType) context.Response.ContentType = cutType.ToString();
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body.AsMemory(0, body.Length / 2));
            await context.Response.OutputStream.FlushAsync();
            context.Response.Abort();
            return;
        }
        await StubServer.Respond(context, (int)response.StatusCode, body, response.Content.Headers.ContentType?.ToString(), headers);
    }

    public void Dispose()
    {
        _server.Dispose();
        _http.Dispose();
    }
}
