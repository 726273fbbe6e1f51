using System.CommandLine;
using System.Globalization;
using Slipway.Api;

namespace Slipway.Cli;

/// <summary>volumes ls | rm: an environment's persistent directories ("volumes" in slipway.json). Deploys and rollbacks
/// keep them; only `volumes rm` (of one no longer mounted) and `destroy` delete one.</summary>
internal static class VolumeCommands
{
    public static Command Create(CliContext cli)
    {
        var volumes = new Command("volumes", "The app's persistent directories (\"volumes\" in slipway.json): they survive deploys and rollbacks");
        volumes.Subcommands.Add(List(cli));
        volumes.Subcommands.Add(Remove(cli));
        return volumes;
    }

    private static Command List(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("ls", "List the app's volumes: where each is mounted, its size, and whether anything caps it") { app, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<VolumeDto>(parse, $"v1/apps/{parse.GetValue(app)}/volumes",
            "No volumes. Declare one in slipway.json, like \"volumes\": { \"uploads\": \"/data/uploads\" }, and deploy.",
            list =>
            {
                cli.Table(["volume", "mounted at", "size", "on disk"], list.Select(v => (IReadOnlyList<string>)
                    [v.Name, v.Path ?? "(not mounted: kept from an earlier deployment)", Size(v.Bytes), v.HostDir]));
                cli.Out.WriteLine();
                cli.Out.WriteLine($"quota: {list[0].Quota}");
            }, token)));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var app = AppOption.Required();
        var name = new Argument<string>("volume") { Description = "The volume to delete, with everything in it (one the live deployment no longer mounts)" };
        var command = new Command("rm", "Delete a volume the live deployment no longer mounts, with its files") { app, name, CliContext.JsonOutput };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var volume = parse.GetValue(name)!;
            var left = await api.DeleteAsync<List<VolumeDto>>($"v1/apps/{parse.GetValue(app)}/volumes/{Uri.EscapeDataString(volume)}", token);
            cli.Print(parse, left, _ => cli.Out.WriteLine($"Deleted volume {volume} of {parse.GetValue(app)} and its files."));
            return 0;
        }));
        return command;
    }

    /// <summary>Bytes as people read them: "0 B", "12.3 KB", "45.0 MB", "1.2 GB" (binary units).</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        < 1024L * 1024 * 1024 => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1073741824.0).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
    };
}
