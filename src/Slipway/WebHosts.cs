using Microsoft.AspNetCore.Builder;

namespace Slipway;

/// <summary>How the platform's three Kestrel hosts (API, edge, messages) are made.</summary>
internal static class WebHosts
{
    /// <summary>A slim builder rooted at the program's own directory that watches no files. ASP.NET's defaults read
    /// appsettings.json from the content root (the working directory unless told) and watch it with a recursive
    /// file watcher: started from a source tree, a home directory or / (systemd), that walked every directory under
    /// it before the host listened (half a second from a checkout) and kept an inotify watch on each.</summary>
    public static WebApplicationBuilder CreateBuilder() => WebApplication.CreateSlimBuilder(new WebApplicationOptions
    {
        ContentRootPath = AppContext.BaseDirectory,
        Args = ["--hostBuilder:reloadConfigOnChange=false"],
    });
}
