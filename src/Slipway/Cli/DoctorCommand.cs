using Slipway.Api;
using System.CommandLine;
using Slipway.Databases;

namespace Slipway.Cli;

/// <summary>slipway doctor: what this machine has and lacks for Slipway's features, each with how to fix it.</summary>
internal static class DoctorCommand
{
    private sealed record Check(string Name, bool Ok, string Detail);

    public static Command Create(CliContext cli)
    {
        var command = new Command("doctor", "Check this machine for what Slipway needs (PostgreSQL, redis-server, git, node, the app sandbox) and say how to install what is missing")
        {
            CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var checks = new List<Check>();
            var pg = PostgresBinaries.Find();
            checks.Add(new Check("postgresql", pg is not null, pg is not null ? $"PostgreSQL {pg.Version} in {pg.BinDir}" : "missing (managed databases need it). " + PostgresBinaries.InstallHint));
            var redis = RedisServers.Binary();
            checks.Add(new Check("redis-server", redis is not null, redis ?? "missing (\"type\": \"redis\" databases need it). " + RedisServers.InstallHint));
            foreach (var (tool, hint) in new[] { ("git", "apt-get install git"), ("node", "apt-get install nodejs npm"), ("setsid", "apt-get install util-linux") })
            {
                var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
                checks.Add(new Check(tool, path is not null, path ?? $"missing: {hint}"));
            }
            using var api = cli.LocalApi(parse);
            if (await api.IsUpAsync(token))
            {
                var cluster = await api.GetAsync<ClusterDto>("v1/databases/cluster", token);
                checks.Add(new Check("managed postgres", !cluster.Initialized || cluster.Pid is not null,
                    !cluster.Initialized ? "not created yet (the first database creates it)"
                    : cluster.Pid is { } pid ? $"running (pid {pid}, {cluster.Restarts} restart(s) after crashes) in {cluster.Root}"
                    : $"not running: see its log in {cluster.Root}/log and the platform log"));
                var isolation = await api.GetAsync<IsolationDto>("v1/platform/isolation", token);
                checks.Add(new Check("app isolation", isolation.Gaps.Count == 0, isolation.Gaps.Count == 0
                    ? $"each app environment runs as its own user in a sandbox, with cgroup v{isolation.CgroupVersion} limits and port rules"
                    : string.Join("; ", isolation.Gaps)));
                checks.Add(new Check("disk quotas", true, isolation.DiskQuota));
            }
            else
            {
                // The platform is not running: what this machine would give it (as root).
                var host = Sandbox.HostSupport.Detect();
                var gaps = host.Gaps();
                checks.Add(new Check("app isolation", gaps.Count == 0, gaps.Count == 0 ? "bubblewrap, setpriv, cgroups and nft are here" : string.Join("; ", gaps)));
            }
            cli.Print(parse, checks, all =>
            {
                foreach (var check in all)
                {
                    cli.Out.WriteLine($"{(check.Ok ? "ok  " : "FAIL")}  {check.Name}: {check.Detail}");
                }
            });
            return checks.All(c => c.Ok) ? 0 : 1;
        }));
        return command;
    }
}
