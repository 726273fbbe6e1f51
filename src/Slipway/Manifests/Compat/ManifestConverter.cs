namespace Slipway.Manifests.Compat;

/// <summary>Turns another platform's deployment file into the slipway.json it amounts to, so apps can come as
/// they are. One file is used, the first found in this order:
/// <code>
///   railway.json  ─► RailwayConverter     one web service
///   vercel.json   ─► VercelConverter      a static service (a web service for Next.js), routes, crons
///   render.yaml   ─► RenderConverter      one service per entry; cron entries become crons
///   app.json      ─► AppJsonConverter     Procfile processes (or one detected web service) + scripts, formation
///   Procfile      ─► ProcfileConverter    web, workers named after their process type, release
/// </code>
/// The result is not validated here: <see cref="ManifestLoader"/> validates it like a hand-written slipway.json,
/// and commands the file leaves out are detected in the service's root as usual.</summary>
internal static class ManifestConverter
{
    /// <summary>The files understood, in order of preference.</summary>
    public static readonly IReadOnlyList<string> FileNames =
    [
        RailwayConverter.FileName, VercelConverter.FileName, RenderConverter.FileName, AppJsonConverter.FileName,
        ProcfileConverter.FileName,
    ];

    /// <summary>The converted manifest, or why the file could not be read; null when <paramref name="sourceDir"/>
    /// holds none of <see cref="FileNames"/>. File names are matched exactly (Procfile with a capital P).</summary>
    public static ConversionResult? Convert(string sourceDir)
    {
        var found = FileNames.FirstOrDefault(name => File.Exists(Path.Combine(sourceDir, name)));
        if (found is null)
            return null;

        var conversion = new Conversion(sourceDir);
        switch (found)
        {
            case RailwayConverter.FileName:
                RailwayConverter.Convert(conversion);
                return conversion.Finish(found);
            case VercelConverter.FileName:
                VercelConverter.Convert(conversion);
                return conversion.Finish(found);
            case RenderConverter.FileName:
                RenderConverter.Convert(conversion);
                return conversion.Finish(found);
            case AppJsonConverter.FileName:
                var withProcfile = File.Exists(Path.Combine(sourceDir, ProcfileConverter.FileName));
                AppJsonConverter.Convert(conversion, withProcfile);
                return conversion.Finish(withProcfile ? $"{found} and {ProcfileConverter.FileName}" : found);
            default:
                ProcfileConverter.Convert(conversion);
                return conversion.Finish(found);
        }
    }
}
