
namespace Slipway.Manifests;

/// <summary>Reads the top-level "crons": shapes, references (a named service must be declared and able to run
/// the job) and the schedule itself (parsed by NCrontab in the job's time zone).</summary>
internal static class CronsReader
{
    private const string Example = "{ \"name\": \"daily-sync\", \"schedule\": \"0 3 * * *\", \"path\": \"/api/cron/daily-sync\" }";

    public static readonly IReadOnlyDictionary<string, CronConcurrency> ConcurrencyPolicies = new Dictionary<string, CronConcurrency>
    {
        ["skip"] = CronConcurrency.Skip, ["allow"] = CronConcurrency.Allow,
    };

    public static readonly IReadOnlyDictionary<string, CronMissed> MissedPolicies = new Dictionary<string, CronMissed>
    {
        ["run-once"] = CronMissed.RunOnce, ["skip"] = CronMissed.Skip,
    };

    public static readonly IReadOnlyList<string> Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    public const int MaxRetries = 10;

    public static IReadOnlyList<CronSpec> Read(ManifestObject root, IReadOnlyList<DeclaredService> services)
    {
        var crons = new List<CronSpec>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cron in root.Objects("crons", ManifestKeys.CronKeys, Example))
        {
            var name = cron.RequiredString("name", "a job name like \"daily-sync\"");
            if (name is not null && !ManifestKeys.NamePattern().IsMatch(name))
            {
                cron.Error("name", $"expected lowercase letters, digits and \"-\", starting with a letter, got {ManifestObject.Quote(name)}");
                name = null;
            }
            else if (name is not null && !names.Add(name))
            {
                cron.Error("name", $"\"{name}\" is used by another cron job; give each its own name");
                name = null;
            }

            var schedule = Schedule(cron);

            var path = cron.String("path", "a path like \"/api/cron/daily-sync\"");
            if (path is not null && (!ManifestKeys.SourcePattern().IsMatch(path) || !AppPaths.IsLocalPath(path)))
            {
                // "//host/x" would resolve to another host: a job calls its own app only.
                cron.Error("path", $"expected a path on the app starting with a single \"/\" like \"/api/cron/daily-sync\", got {ManifestObject.Quote(path)}");
                path = null;
            }

            var command = cron.String("command", "a command");
            if (cron.Has("path") == cron.Has("command"))
                cron.Error(cron.Has("path") ? "command" : "path",
                    "give either \"path\" (an HTTP request to the app) or \"command\" (run in a service), not both or neither");

            var method = cron.String("method", "an HTTP method like \"GET\" or \"POST\"");
            if (method is not null && !Methods.Contains(method))
            {
                cron.Error("method", $"expected one of {string.Join(", ", Methods.Select(m => $"\"{m}\""))}, got {ManifestObject.Quote(method)}");
                method = null;
            }
            else if (method is not null && cron.Has("command"))
            {
                cron.Error("method", "a command job makes no HTTP request; remove \"method\" or use \"path\"");
            }

            var service = Service(cron, services);
            var defaults = new CronSpec { Name = "", Schedule = "" };
            if (name is not null && schedule is not null && (path ?? command) is not null)
            {
                crons.Add(new CronSpec
                {
                    Name = name,
                    Schedule = schedule.Value.Expression,
                    TimeZone = schedule.Value.TimeZone,
                    Path = path,
                    Method = method ?? defaults.Method,
                    Command = command,
                    Service = service,
                    Timeout = cron.Duration("timeout") ?? defaults.Timeout,
                    Concurrency = cron.Enum("concurrency", ConcurrencyPolicies) ?? defaults.Concurrency,
                    Retries = cron.Int("retries", 0, MaxRetries) ?? defaults.Retries,
                    RetryBackoff = cron.Duration("retryBackoff") ?? defaults.RetryBackoff,
                    Missed = cron.Enum("missed", MissedPolicies) ?? defaults.Missed,
                });
            }
            else
            {
                // Still validate the rest, so every error is reported at once.
                cron.Duration("timeout");
                cron.Enum("concurrency", ConcurrencyPolicies);
                cron.Int("retries", 0, MaxRetries);
                cron.Duration("retryBackoff");
                cron.Enum("missed", MissedPolicies);
            }
        }

        return crons;
    }

    private static (string Expression, string? TimeZone)? Schedule(ManifestObject cron)
    {
        var schedule = cron.RequiredString("schedule", "five cron fields like \"0 3 * * *\"");
        var timeZone = cron.String("timeZone", "an IANA time zone like \"Europe/Berlin\"");
        if (schedule is null)
            return null;
        if (!ManifestKeys.SchedulePattern().IsMatch(schedule))
        {
            cron.Error("schedule", "expected five cron fields (minute hour day-of-month month day-of-week) like " +
                                   $"\"0 3 * * *\", got {ManifestObject.Quote(schedule)}");
            return null;
        }
        if (CronSchedule.TryParse(schedule, null, out var error) is null)
        {
            cron.Error("schedule", error!);
            return null;
        }
        if (timeZone is not null && CronSchedule.TryParse(schedule, timeZone, out error) is null)
        {
            cron.Error("timeZone", error!);
            return null;
        }
        return (schedule, timeZone);
    }

    private static string? Service(ManifestObject cron, IReadOnlyList<DeclaredService> services)
    {
        var name = cron.String("service", "a service name");
        if (name is null)
            return null;
        var declared = services.FirstOrDefault(service => service.Spec.Name == name);
        var names = string.Join(", ", services.Select(service => service.Spec.Name));
        if (declared is null)
            cron.Error("service", $"no service is named \"{name}\"; declared: {names}");
        else if (declared.Spec.Type == ServiceType.Static && cron.Has("command"))
            cron.Error("service", $"\"{name}\" is a static service, which has no process to run a command in; name a web or worker service");
        else if (declared.Spec.Type == ServiceType.Static && cron.Has("path"))
            cron.Error("service", $"\"{name}\" is a static service, which serves files and runs no handler; name a web service");
        else if (declared.Spec.Type == ServiceType.Worker && cron.Has("path"))
            cron.Error("service", $"\"{name}\" is a worker, which gets no HTTP requests; name a web service or use \"command\"");
        else
            return name;
        return null;
    }
}
