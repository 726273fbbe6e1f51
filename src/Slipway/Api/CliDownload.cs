using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Slipway.Api;

/// <summary>The platform hands out its CLI, self-contained for linux-x64, so a teammate or a CI runner needs no
/// .NET SDK: `curl -fsSLo slipway https://HOST/v1/cli/linux-x64 && chmod +x slipway`. Anyone may download it
/// (it holds no secret); the file is the one <see cref="Find"/> picks.</summary>
internal static class CliDownload
{
    public static void MapCliDownload(this IEndpointRouteBuilder api) =>
        api.MapGet("/v1/cli/linux-x64", (ApiOptions options) =>
            Find(options) is { } file
                ? Results.File(file, "application/octet-stream", "slipway", enableRangeProcessing: true)
                : throw new UserException("This platform has no self-contained CLI to hand out. On the server, publish one " +
                    "(dotnet publish src/Slipway -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -o cli) and start the platform with --cli-file cli/slipway.", 404))
        .AllowAnyone("cli.download");

    /// <summary>--cli-file; else this very executable when it is a self-contained single file (no slipway.dll
    /// beside it); else cli/linux-x64/slipway beside the platform's binaries.</summary>
    public static string? Find(ApiOptions options)
    {
        if (options.CliFile is { } configured)
        {
            return File.Exists(configured) ? configured : null;
        }
        if (Environment.ProcessPath is { } self && Path.GetFileName(self) == "slipway" &&
            !File.Exists(Path.Combine(Path.GetDirectoryName(self)!, "slipway.dll")) && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            return self;
        }
        var published = Path.Combine(AppContext.BaseDirectory, "cli", "linux-x64", "slipway");
        return File.Exists(published) ? published : null;
    }
}
