using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Monitoring.Alerts.Sources;

/// <summary>What the supervisor sees of the apps' processes.
///
/// "crash-loop": a service of an environment's live deployment has a replica that crashed and is not restarted
/// (its restart policy gave up, or says never), or that restarted at least Count times within For. One alert per
/// service, naming its replicas; it resolves when the replicas run steadily again or are replaced (a new deployment,
/// restart, stop). Read from the supervisor's instances in memory: no query but the app rows.
///
/// "oom-kill": the kernel's OOM killer ended a replica of the environment within the last For (the "instance.oom"
/// events, kept across platform restarts and redeploys); one alert per service, resolved once For passed with no new
/// kill.</summary>
internal sealed class InstanceSource(Supervisor supervisor, Store store) : IAlertSource
{
    public const string CrashLoop = "crash-loop";
    public const string OomKill = "oom-kill";

    public static readonly AlertRuleDefinition CrashLoopDefinition = new(CrashLoop,
        "A replica of a live service crashed and is not restarted, or restarted 3 times within 10m; critical",
        new AlertRuleSettings(For: TimeSpan.FromMinutes(10), Count: 3, Severity: AlertSeverity.Critical), ThresholdUnit.None);

    public static readonly AlertRuleDefinition OomKillDefinition = new(OomKill,
        "The kernel killed a replica for running out of memory within the last 10m; warning",
        new AlertRuleSettings(For: TimeSpan.FromMinutes(10), Severity: AlertSeverity.Warning), ThresholdUnit.None);

    public IReadOnlyList<AlertRuleDefinition> Rules { get; } = [CrashLoopDefinition, OomKillDefinition];

    public IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken)
    {
        var apps = AppLabels.Read(store);
        return [.. CrashLoops(context, apps), .. OomKills(context, apps)];
    }

    private IEnumerable<AlertSignal> CrashLoops(AlertContext context, AppLabels apps)
    {
        var live = apps.Rows.Where(a => a.LiveDeploymentId is not null).ToDictionary(a => a.Name, a => a.LiveDeploymentId!, StringComparer.Ordinal);
        var services = supervisor.All()
            .Where(i => live.TryGetValue(i.Spec.App, out var id) && i.Spec.DeploymentId == id)
            .GroupBy(i => (i.Spec.App, Service: i.Spec.Service.Name))
            .OrderBy(g => g.Key.App, StringComparer.Ordinal).ThenBy(g => g.Key.Service, StringComparer.Ordinal);
        foreach (var service in services)
        {
            var app = service.Key.App;
            if (!context.IsOn(CrashLoop, app))
            {
                continue;
            }
            var settings = context.Settings(CrashLoop, app);
            var window = settings.For ?? CrashLoopDefinition.Defaults.For!.Value;
            var count = Math.Max(1, settings.Count ?? CrashLoopDefinition.Defaults.Count!.Value);
            var crashed = new List<int>();
            var looping = new List<(int Replica, int Restarts)>();
            foreach (var instance in service.OrderBy(i => i.Spec.Replica))
            {
                if (instance.State == InstanceState.Crashed)
                {
                    crashed.Add(instance.Spec.Replica);
                    continue;
                }
                var recent = instance.RestartTimes().Count(t => t > context.Now - window);
                if (recent >= count)
                {
                    looping.Add((instance.Spec.Replica, recent));
                }
            }
            if (crashed.Count == 0 && looping.Count == 0)
            {
                continue;
            }
            var label = apps.Ref(app);
            var name = service.Key.Service;
            var parts = new List<string>();
            if (crashed.Count > 0)
            {
                parts.Add($"{Replicas(crashed)} crashed and {(crashed.Count == 1 ? "is" : "are")} not restarted");
            }
            parts.AddRange(looping.Select(l => $"replica {l.Replica} restarted {AlertText.Count(l.Restarts, "time", "times")} in {AlertText.Span(window)}"));
            var what = string.Join("; ", parts);
            yield return new AlertSignal(CrashLoop, name, app, settings.Severity ?? AlertSeverity.Critical,
                crashed.Count > 0 ? $"{label}: {name} crashed ({what})" : $"{label}: {name} is crash-looping ({what})",
                $"Service {name} of {label}, live deployment {live[app]}: {what}. Why: slipway logs {label.Flags} --service {name} --level warn; " +
                $"instances and events: slipway status {label.Flags}. A fixed version (slipway deploy) or slipway rollback {label.Flags} replaces them");
        }
    }

    private static string Replicas(List<int> replicas) =>
        replicas.Count == 1 ? $"replica {replicas[0]}" : $"replicas {string.Join(", ", replicas)}";

    private IEnumerable<AlertSignal> OomKills(AlertContext context, AppLabels apps)
    {
        // One read for every environment: back as far as the longest window any of them asks for.
        var windows = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        foreach (var row in apps.Rows)
        {
            if (context.IsOn(OomKill, row.Name))
            {
                windows[row.Name] = context.Settings(OomKill, row.Name).For ?? OomKillDefinition.Defaults.For!.Value;
            }
        }
        if (windows.Count == 0)
        {
            yield break;
        }
        var kills = store.RecentEvents("instance.oom", context.Now - windows.Values.Max());
        var byService = kills
            .Where(e => e.App is not null && windows.TryGetValue(e.App, out var window) && e.At > context.Now - window)
            .GroupBy(e => (App: e.App!, Service: ServiceOf(e.Message)))
            .OrderBy(g => g.Key.App, StringComparer.Ordinal).ThenBy(g => g.Key.Service, StringComparer.Ordinal);
        foreach (var service in byService)
        {
            var app = service.Key.App;
            var label = apps.Ref(app);
            var latest = service.First(); // newest first
            var times = service.Count();
            var window = windows[app];
            yield return new AlertSignal(OomKill, service.Key.Service, app, context.Settings(OomKill, app).Severity ?? AlertSeverity.Warning,
                $"{label}: {service.Key.Service} was killed for running out of memory" + (times > 1 ? $" ({times} times in {AlertText.Span(window)})" : ""),
                $"Last at {AlertText.Time(latest.At)}: {latest.Message}. Memory per replica: slipway status {label.Flags}");
        }
    }

    /// <summary>The service an "instance.oom" event is about: its message starts with the service's name
    /// ("web replica 0 was killed ...", written by the instance).</summary>
    private static string ServiceOf(string message)
    {
        var space = message.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 ? message[..space] : message;
    }
}
