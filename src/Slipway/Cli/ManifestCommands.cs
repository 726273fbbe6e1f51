using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Manifests;
using Slipway.Manifests.Compat;

namespace Slipway.Cli;

/// <summary>slipway manifest convert: what Slipway makes of a railway.json, vercel.json, render.yaml,
/// app.json or Procfile, as slipway.json; with --merged, that laid under the app's own slipway.json, as
/// deployed.</summary>
internal static class ManifestCommands
{
    public static Command Create(CliContext cli)
    {
        var manifest = new Command("manifest", "slipway.json tools");
        var source = new Argument<string>("source") { Description = "The app's source directory", DefaultValueFactory = _ => "." };
        var write = new Option<bool>("--write") { Description = "Write slipway.json next to the original (refused if one exists); it says \"otherFiles\": \"ignore\", so Slipway then reads it alone" };
        var merged = new Option<bool>("--merged")
        {
            Description = "Print the app's slipway.json laid over the converted file: what Slipway deploys (before detection)",
        };
        var convert = new Command("convert", "Print the slipway.json converted from the app's railway.json, vercel.json, render.yaml, app.json or Procfile")
        {
            source, write, merged,
        };
        convert.SetAction((parse, _) => cli.RunAsync(async () =>
        {
            var dir = Path.GetFullPath(parse.GetValue(source)!);
            var target = Path.Combine(dir, ManifestLoader.FileName);
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
                    if (parse.GetValue(merged))
                    {
                        await cli.Out.WriteAsync(File.Exists(target) ? Merged(target, converted, cli.Err) : converted.Json);
                        return 0;
                    }
                    if (!parse.GetValue(write))
                    {
                        await cli.Out.WriteAsync(converted.Json);
                        if (File.Exists(target) && ManifestLoader.IgnoresOtherFiles(await File.ReadAllTextAsync(target)))
                        {
                            await cli.Err.WriteLineAsync($"note: {target} says \"{ManifestKeys.OtherFilesKey}\": \"ignore\", so Slipway " +
                                                         $"deploys it alone and does not read {converted.Files}.");
                        }
                        else if (File.Exists(target))
                        {
                            await cli.Err.WriteLineAsync($"note: this is {converted.Files} alone; Slipway lays {target} over it when it deploys. " +
                                                         $"'slipway manifest convert --merged {parse.GetValue(source)}' prints the result.");
                        }
                        return 0;
                    }
                    if (File.Exists(target))
                    {
                        throw new UserException($"{target} already exists; Slipway lays it over {converted.Files}. Remove it first to convert again, " +
                                                $"or see the result with 'slipway manifest convert --merged {parse.GetValue(source)}'.");
                    }
                    await File.WriteAllTextAsync(target, Standalone(converted));
                    await cli.Out.WriteLineAsync($"Wrote {target} (converted from {converted.Source}). Check it with 'slipway validate {parse.GetValue(source)}'. " +
                                                 $"It says \"{ManifestKeys.OtherFilesKey}\": \"ignore\": Slipway deploys it alone and no longer reads " +
                                                 $"{converted.Files}, so change slipway.json from now on. To lay slipway.json over {converted.Files} " +
                                                 "instead, remove that line and keep only what the other file cannot say.");
                    return 0;
                default:
                    throw new InvalidOperationException();
            }
        }));
        manifest.Subcommands.Add(convert);
        return manifest;
    }

    /// <summary>The converted manifest as the app's whole slipway.json. It restates everything the other file says,
    /// so laid over that file it would add nothing but conflicts as either changes; and a later Slipway that converts
    /// the file differently would not change what the app deploys.</summary>
    private static string Standalone(ConversionResult.Converted converted)
    {
        var manifest = JsonNode.Parse(converted.Json)!.AsObject();
        manifest[ManifestKeys.OtherFilesKey] = "ignore";
        return ManifestLayout.Write(manifest);
    }

    /// <summary>The merged manifest as a file, or every key set differently in both files; slipway.json alone when it
    /// says "otherFiles": "ignore".</summary>
    private static string Merged(string target, ConversionResult.Converted converted, TextWriter warnings)
    {
        JsonNode? own;
        try
        {
            own = JsonNode.Parse(File.ReadAllText(target), documentOptions: ManifestLoader.ParseOptions);
        }
        catch (JsonException e)
        {
            throw new UserException($"{target} is not valid JSON (line {e.LineNumber + 1}): {ManifestLoader.JsonReason(e)}.");
        }

        if (own is not JsonObject overlay)
            throw new UserException($"{target} must hold a JSON object {{ ... }}; check it with 'slipway validate'.");
        if (ManifestLoader.IgnoresOtherFiles(overlay))
            return ManifestLayout.Write(overlay);
        var (manifest, conflicts, unnamed) = ManifestMerge.Lay(overlay, converted);
        if (conflicts.Count > 0)
            throw new ManifestResult.Invalid(conflicts) { Subject = $"{ManifestLoader.FileName} + {converted.Files}" }.ToException();
        foreach (var warning in unnamed)
        {
            warnings.WriteLine("warning: " + warning);
        }
        return ManifestLayout.Write(manifest);
    }
}
