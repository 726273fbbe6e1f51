namespace Slipway.Manifests;

/// <summary>Reads the top-level "crons". Checks shapes and references (a named service must be declared and
/// able to run the job), not what a schedule means.</summary>
internal static class CronsReader
{
    private const string Example = "{ \"name\": \"daily-sync\", \"schedule\": \"0 3 * * *\", \"path\": \"/api/cron/daily-sync\" }";

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

            var schedule = cron.RequiredString("schedule", "five cron fields like \"0 3 * * *\"");
            if (schedule is not null && !ManifestKeys.SchedulePattern().IsMatch(schedule))
            {
                cron.Error("schedule", "expected five cron fields (minute hour day-of-month month day-of-week) like " +
                                       $"\"0 3 * * *\", got {ManifestObject.Quote(schedule)}");
                schedule = null;
            }

            var path = cron.String("path", "a path like \"/api/cron/daily-sync\"");
            if (path is not null && !ManifestKeys.SourcePattern().IsMatch(path))
            {
                cron.Error("path", $"expected a path starting with \"/\" like \"/api/cron/daily-sync\", got {ManifestObject.Quote(path)}");
                path = null;
            }

            var command = cron.String("command", "a command");
            if (cron.Has("path") == cron.Has("command"))
                cron.Error(cron.Has("path") ? "command" : "path",
                    "give either \"path\" (an HTTP request to the app) or \"command\" (run in a service), not both or neither");

            var service = Service(cron, services);
            if (name is not null && schedule is not null && (path ?? command) is not null)
                crons.Add(new CronSpec { Name = name, Schedule = schedule, Path = path, Command = command, Service = service });
        }

        return crons;
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
        else if (declared.Spec.Type == ServiceType.Worker && cron.Has("path"))
            cron.Error("service", $"\"{name}\" is a worker, which gets no HTTP requests; name a web service or use \"command\"");
        else
            return name;
        return null;
    }
}
