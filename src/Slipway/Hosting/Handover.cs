using System.Reflection;

namespace Slipway.Hosting;

/// <summary>`slipway upgrade`: a platform process hands the data directory, its listening sockets and its instances to
/// a successor started from another binary beside it, and no connection is refused or reset meanwhile:
///
///   old (serving)                                   new (BINARY server ..., SLIPWAY_HANDOVER=DATA/run/handover.sock)
///   BINARY --version runs ──► starts the new one ──► connects; checks the data directory's schema is one it knows
///   ◄────────────────────────────────────────────── HELLO (or REFUSE why: the old one keeps serving, nothing changed)
///   TAKE + every listening socket (SCM_RIGHTS) ───► keeps them; waits for the data directory's lock
///   answers the CLI; stops: API, jobs, edge stops accepting (its in-flight requests finish in the background),
///   instances detached (left running), the lock let go ──► takes the lock, adopts the instances, listens on the
///                                                          same sockets (connections waited in their backlog)
///   ◄────────────────────────────────────────────── READY (and READY=1 + MAINPID to systemd or the launcher)
///   exits once its in-flight requests are done
///
/// A successor that fails before HELLO changes nothing. One that dies after TAKE leaves a stopped old one, which then
/// exits with <see cref="NotTakenOver"/>: its supervisor starts it again (the old binary; the sockets were kept), so a
/// failed upgrade is a blip, never an outage.</summary>
internal static class Handover
{
    public const string Variable = "SLIPWAY_HANDOVER";

    /// <summary>The exit code of an old platform whose successor died after taking the sockets: start the old one again.</summary>
    public const int NotTakenOver = 75;

    public static string SocketPath(string dataDir) => Path.Combine(dataDir, "run", "handover.sock");

    public static string Version { get; } =
        typeof(Handover).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    internal static Dictionary<string, string> Fields(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
}
