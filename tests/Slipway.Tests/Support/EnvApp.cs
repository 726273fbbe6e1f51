namespace Slipway.Tests.Support;

/// <summary>A dependency-free Node app that shows its environment: GET /env/NAME answers the variable's
/// bytes, GET /dump prints the whole environment to stdout, X-App-Version comes from $VERSION_TAG.</summary>
internal static class EnvApp
{
    public static string Create(string? build = null)
    {
        var dir = TempDirs.Create("envapp");
        File.WriteAllText(Path.Combine(dir, "server.js"), """
            const http = require('http');
            const server = http.createServer((req, res) => {
              res.setHeader('X-App-Version', process.env.VERSION_TAG || 'none');
              if (req.url.startsWith('/env/')) {
                const value = process.env[decodeURIComponent(req.url.slice(5))];
                res.statusCode = value === undefined ? 404 : 200;
                res.end(value === undefined ? '' : Buffer.from(value, 'utf8'));
                return;
              }
              if (req.url === '/dump') { console.log(JSON.stringify(process.env)); res.end('dumped'); return; }
              res.end('ok');
            });
            server.listen(process.env.PORT, process.env.HOST);
            process.on('SIGTERM', () => server.close(() => process.exit(0)));
            """);
        var buildLine = build is null ? "" : $", \"build\": {System.Text.Json.JsonSerializer.Serialize(build)}";
        File.WriteAllText(Path.Combine(dir, "slipway.json"),
            "{ \"services\": { \"web\": { \"start\": \"node server.js\", \"replicas\": 2" + buildLine + " } } }");
        return dir;
    }
}
