namespace Slipway.Hosting;

/// <summary>Socket completions on the runtime's epoll threads instead of a hop to the thread pool for every
/// readiness event. The edge is a proxy: per request it waits on the client's socket and then on the app's, and each
/// hop (a futex wake-up and a context switch) cost more CPU than the forwarding itself (bench/edge: CPU per request
/// 1.73× nginx's with hops, 1.32× without; added median latency +192 µs against +108 µs).
///
/// The price: code that continues after awaiting a socket runs on an epoll thread until its next real wait, so
/// nothing CPU-heavy or blocking may follow a network await without yielding first. The edge never blocks (its
/// Kestrel runs inline already); the platform's other network clients (health probes, message delivery, cron
/// calls, ACME, PostgreSQL and Redis) leave the I/O thread at their boundary with
/// <see cref="ConfigureAwaitOptions.ForceYielding"/>.
///
/// The runtime reads DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS once, when the first socket is used, so this
/// must run before that; `slipway server` calls it first thing. An operator's own value of the variable wins,
/// and SLIPWAY_INLINE_COMPLETIONS=0 leaves it off.</summary>
internal static class SocketCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private static bool _set;

    public static void PreferInline()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null && Environment.GetEnvironmentVariable("SLIPWAY_INLINE_COMPLETIONS") != "0")
        {
            Environment.SetEnvironmentVariable(Variable, "1");
            _set = true;
        }
    }

    /// <summary>Once the platform's sockets are up (the runtime has read the variable), takes it back out of the
    /// environment, so processes the platform starts (git, tools; apps get a clean environment anyway) run as they
    /// would anywhere else.</summary>
    public static void KeepFromChildren()
    {
        if (_set)
        {
            Environment.SetEnvironmentVariable(Variable, null);
        }
    }
}
