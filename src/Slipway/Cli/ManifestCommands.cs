using System.CommandLine;
using Slipway.Manifests;
using Slipway.Manifests.Compat;

namespace Slipway.Cli;

/// <summary>slipway manifest convert: what Slipway makes of a railway.json, vercel.json, render.yaml,
/// app.json or Procfile, as the slipway.json to commit instead.</summary>
internal static class ManifestCommands
{
    public static Command Create(CliContext cli)
    {
        var manifest = new Command("manifest", "slipway.json tools");
        var source = new Argument<string>("source") { Description = "The app's source directory", DefaultValueFactory = _ => "." };
        var write = new Option<bool>("--write") { Description = "Write slipway.json next to the original (refused if one exists)" };
        var convert = new Command("convert", "Print the slipway.json converted from the app's railway.json, vercel.json, render.yaml, app.json or Procfile")
        {
            source, write,
        };
        convert.SetAction((parse, _) => cli.RunAsync(async () =>
        {
            var dir = Path.GetFullPath(parse.GetValue(source)!);
            switch (ManifestConverter.Convert(dir))
            {
                case null:
                    throw new UserException($"{dir} has none of {string.Join(", ", ManifestConverter.FileNames)} to convert.");
                case ConversionResult.Failed failed:
                    throw failed.ToException();
                case ConversionResult.Converted converted:
                    foreach (var warning in converted.Warnings)
                    {
                        await cli.Err.WriteLineAsync("warning: " + warning);
                    }
                    if (!parse.GetValue(write))
                    {
                        await cli.Out.WriteAsync(converted.Json);
                        return 0;
                    }
                    var target = Path.Combine(dir, ManifestLoader.FileName);
                    if (File.Exists(target))
                    {
                        throw new UserException($"{target} already exists; Slipway reads it instead of {converted.Source}. Remove it first to convert again.");
                    }
                    await File.WriteAllTextAsync(target, converted.Json);
                    await cli.Out.WriteLineAsync($"Wrote {target} (converted from {converted.Source}). Check it with 'slipway validate {parse.GetValue(source)}'.");
                    return 0;
                default:
                    throw new InvalidOperationException();
            }
        }));
        manifest.Subcommands.Add(convert);
        return manifest;
    }
}
