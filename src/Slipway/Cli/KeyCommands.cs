using System.CommandLine;
using System.Text.Json;

namespace Slipway.Cli;

/// <summary>slipway keys rotate.</summary>
internal static class KeyCommands
{
    public static Command Create(CliContext cli)
    {
        var keys = new Command("keys", "The master key that encrypts config at rest");
        var rotate = new Command("rotate", "Make a new master key and re-encrypt every config value and deployment snapshot with it") { CliContext.JsonOutput };
        rotate.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.LocalApi(parse);
            var result = await api.PostAsync<JsonElement>("v1/keys/rotate", null, token);
            cli.Print(parse, result, r =>
                cli.Out.WriteLine($"Rotated: everything is now encrypted with key {r.GetProperty("keyId").GetString()}; the old key is gone. Back up {CliContext.DataDir(parse)}/master.key."));
            return 0;
        }));
        keys.Subcommands.Add(rotate);
        return keys;
    }
}
