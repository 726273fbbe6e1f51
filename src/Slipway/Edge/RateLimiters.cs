using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Slipway.Manifests;

namespace Slipway.Edge;

/// <summary>The rate limiters of every app's rules, partitioned by client IP (System.Threading.RateLimiting, the
/// library behind ASP.NET Core's rate limiting). They outlive route table swaps: a deploy that keeps a rule
/// keeps its counts, so redeploying is no way around a limit.</summary>
internal sealed class RateLimiters : IDisposable
{
    private readonly ConcurrentDictionary<string, PartitionedRateLimiter<string>> _limiters = new();

    public PartitionedRateLimiter<string> For(string app, RateLimitRule rule)
    {
        var key = $"{app}\n{rule.Source}\n{rule.Limit}\n{rule.Window.Ticks}\n{rule.Mode}";
        return _limiters.GetOrAdd(key, _ => Create(rule));
    }

    /// <summary>Drops the limiters of <paramref name="app"/> that its current rules no longer use.</summary>
    public void Retain(string app, IReadOnlyCollection<PartitionedRateLimiter<string>> inUse)
    {
        foreach (var (key, limiter) in _limiters)
        {
            if (key.StartsWith(app + "\n", StringComparison.Ordinal) && !inUse.Contains(limiter) && _limiters.TryRemove(key, out _))
            {
                limiter.Dispose();
            }
        }
    }

    private static PartitionedRateLimiter<string> Create(RateLimitRule rule) => rule.Mode switch
    {
        RateLimitWindow.Sliding => PartitionedRateLimiter.Create<string, string>(ip => RateLimitPartition.GetSlidingWindowLimiter(ip,
            _ => new SlidingWindowRateLimiterOptions
            {
                PermitLimit = rule.Limit,
                Window = rule.Window,
                SegmentsPerWindow = Math.Clamp((int)(rule.Window / TimeSpan.FromSeconds(1)), 2, 10),
                QueueLimit = 0,
                AutoReplenishment = true,
            })),
        _ => PartitionedRateLimiter.Create<string, string>(ip => RateLimitPartition.GetFixedWindowLimiter(ip,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = rule.Limit, Window = rule.Window, QueueLimit = 0, AutoReplenishment = true })),
    };

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values)
        {
            limiter.Dispose();
        }
        _limiters.Clear();
    }
}
