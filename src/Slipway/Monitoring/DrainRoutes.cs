using Slipway.Runtime;

namespace Slipway.Monitoring;

/// <summary>Which drains get a line of which app environment: an immutable snapshot the log tap reads without a lock,
/// replaced whole by <see cref="Drains"/> whenever drains or apps change. Known environments carry their
/// <see cref="AppRef"/>, so the appending thread looks nothing up.</summary>
internal sealed class DrainRoutes
{
    public static readonly DrainRoutes None = new(new Dictionary<string, Route>(StringComparer.Ordinal), []);

    private readonly Dictionary<string, Route>.AlternateLookup<ReadOnlySpan<char>> _apps;
    private readonly DrainSender[] _everyApp;

    /// <param name="apps">Every known app environment by row key, with the drains of its own.</param>
    /// <param name="everyApp">The drains of every app.</param>
    public DrainRoutes(Dictionary<string, Route> apps, DrainSender[] everyApp)
    {
        _apps = apps.GetAlternateLookup<ReadOnlySpan<char>>();
        _everyApp = everyApp;
        IsEmpty = everyApp.Length == 0 && apps.Values.All(route => route.Senders.Length == 0);
    }

    internal sealed record Route(AppRef App, DrainSender[] Senders);

    public bool IsEmpty { get; }

    /// <summary>Hands a line of app row <paramref name="appKey"/> to the buffer of every drain that ships it.</summary>
    public void Offer(ReadOnlySpan<char> appKey, bool access, LogEntry entry)
    {
        var known = _apps.TryGetValue(appKey, out var key, out var route);
        if ((!known || route!.Senders.Length == 0) && _everyApp.Length == 0)
        {
            return;
        }
        var line = known ? new DrainLine(key!, route!.App, entry) : new DrainLine(appKey.ToString(), null, entry);
        if (known)
        {
            Offer(route!.Senders, line, access);
        }
        Offer(_everyApp, line, access);
    }

    private static void Offer(DrainSender[] senders, DrainLine line, bool access)
    {
        foreach (var sender in senders)
        {
            if (!access || sender.Record.ShipsAccessLog)
            {
                sender.Buffer.Add(line);
            }
        }
    }
}
