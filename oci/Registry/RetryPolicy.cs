using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Csbuild.Oci.Registry;

/// <summary>
/// Bounded retries with exponential backoff and jitter for 429, 5xx and broken connections.
/// A Retry-After header from the server takes precedence over the computed delay (up to <see cref="MaxRetryAfter"/>).
/// </summary>
public sealed class RetryPolicy
{
    public static RetryPolicy Default { get; } = new();

    /// <summary>Total tries per request, the first included.</summary>
    public int MaxAttempts { get; init; } = 5;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(20);
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    public bool CanRetry(int attempt) => attempt < MaxAttempts;

    /// <summary>Delay before try number <paramref name="attempt"/> + 1: base·2^(attempt-1) with ±25 % jitter, capped.</summary>
    public TimeSpan GetDelay(int attempt, RetryConditionHeaderValue? retryAfter = null)
    {
        if (retryAfter is not null)
        {
            TimeSpan? requested = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : null);
            if (requested is { } r) return r <= TimeSpan.Zero ? TimeSpan.Zero : r > MaxRetryAfter ? MaxRetryAfter : r;
        }
        double exponential = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1));
        double jittered = exponential * (0.75 + Random.Shared.NextDouble() * 0.5);
        return TimeSpan.FromMilliseconds(Math.Min(jittered, MaxDelay.TotalMilliseconds));
    }

    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
            or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>Network failures worth another try; TLS and DNS errors are not (they do not fix themselves).</summary>
    public static bool IsTransient(Exception exception, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return false;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is System.Security.Authentication.AuthenticationException) return false;
            if (e is InvalidDataException) return false; // bad local content, not a network problem
            if (e is SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData }) return false;
        }
        return exception is HttpRequestException { StatusCode: null } or IOException or TimeoutException
            // HttpClient reports its own timeouts as cancellation with a TimeoutException inside.
            or TaskCanceledException { InnerException: TimeoutException };
    }
}
