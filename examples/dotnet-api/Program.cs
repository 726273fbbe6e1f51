// Slipway example: an ASP.NET Core minimal API with no NuGet dependencies.
//
// Environment:
//   HOST, PORT    where to listen (set by Slipway for web services)
//   APP_VERSION   overrides the VERSION file

using System.Diagnostics;

var builder = WebApplication.CreateBuilder(args);

// Slipway tells the app where to listen through HOST and PORT. Without PORT,
// ASPNETCORE_URLS (or Kestrel's default) applies, so `dotnet run` still works.
var port = Environment.GetEnvironmentVariable("PORT");
if (!string.IsNullOrEmpty(port))
{
    var host = Environment.GetEnvironmentVariable("HOST");
    builder.WebHost.UseUrls($"http://{(string.IsNullOrEmpty(host) ? "127.0.0.1" : host)}:{port}");
}

// On SIGTERM the host stops accepting connections, waits for in-flight
// requests (up to this timeout) and exits with status 0.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(8));

// Read the version once, at start: each deployment is a fresh build.
var version = Environment.GetEnvironmentVariable("APP_VERSION") is { Length: > 0 } v ? v : ReadVersionFile();

var app = builder.Build();

// Version header on every response, and one log line per request (method path status ms).
app.Use(async (context, next) =>
{
    var started = Stopwatch.GetTimestamp();
    context.Response.Headers["X-App-Version"] = version;
    await next(context);
    var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    Console.WriteLine($"{context.Request.Method} {context.Request.Path} {context.Response.StatusCode} {ms:F1}ms");
});

app.MapGet("/", () => new
{
    app = "dotnet-api",
    version,
    message = $"hello from .NET {Environment.Version}",
    pid = Environment.ProcessId,
});

app.MapGet("/health", () => new { status = "ok", version });

app.Run();

// VERSION is copied next to the assembly on publish; the working directory is a fallback.
static string ReadVersionFile()
{
    foreach (var dir in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
    {
        var file = Path.Combine(dir, "VERSION");
        if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } text)
        {
            return text;
        }
    }
    return "unknown";
}
