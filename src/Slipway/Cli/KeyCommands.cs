using System.CommandLine;
using System.Text.Json;

namespace Slipway.Cli;

/// <summary>slipway keys rotate.</summary>
internal static class KeyCommands
{
    public static Command Create(CliContext cli)
    {
        var keys = new Command("keys", "The master key that encrypts config at rest, and the backup key that seals off-site backups");
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
        var export = new Command("export-backup-key",
            "Print the backup key that seals what leaves this machine (off-site backups): keep it off the machine (a password manager, paper); " +
            "without it, backups cannot be read after losing the machine") { CliContext.JsonOutput };
        export.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            using var api = cli.Api(parse);
            var key = await api.GetAsync<Api.BackupKeyDto>("v1/keys/backup", token);
            cli.Print(parse, key, k =>
            {
                cli.Out.WriteLine(k.Key);
                cli.Err.WriteLine($"Backup key {k.KeyId}. Keep it off this machine: slipway restore-platform asks for it on a new one.");
            });
            return 0;
        }));
        keys.Subcommands.Add(export);
        return keys;
    }
}
