using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Fersnet.Server;

/// <summary>
/// The workers that decode images and run the networks: <see cref="ServeOptions.Concurrency"/> at once, the rest waiting
/// in order (System.Threading.RateLimiting's concurrency limiter). A request takes a worker only once its upload is read
/// and its fields checked, so a slow upload or junk never holds one; the requests in flight as a whole (uploads included)
/// are bounded by the rate-limiting middleware in front (<see cref="FersnetServer"/>), which answers 503 beyond them.
/// </summary>
public sealed class Workers(ServeOptions options) : IDisposable
{
    private readonly ConcurrencyLimiter _limiter = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.Concurrency,
        QueueLimit = options.QueueLimit,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>A worker, or null when none is free and the queue is full (then answer <see cref="Busy"/>).</summary>
    public async Task<RateLimitLease?> Acquire(CancellationToken cancellationToken)
    {
        var lease = await _limiter.AcquireAsync(1, cancellationToken);
        if (lease.IsAcquired) return lease;
        lease.Dispose();
        return null;
    }

    /// <summary>503 with Retry-After, as problem details.</summary>
    public IResult Busy(HttpContext context)
    {
        context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Make(StatusCodes.Status503ServiceUnavailable, "Busy", BusyDetail(options));
    }

    internal static string BusyDetail(ServeOptions options) =>
        $"the server has {options.Concurrency + options.QueueLimit} request(s) in hand ({options.Concurrency} at work, up to {options.QueueLimit} waiting); retry after {options.RetryAfterSeconds} s";

    public void Dispose() => _limiter.Dispose();
}
