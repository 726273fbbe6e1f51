using Slipway.Edge;
using Slipway.Tests.Support;
using Xunit.Abstractions;
namespace Slipway.Tests.Edge;
public sealed class ScratchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Print()
    {
        var dir = TempDirs.Create("scratch");
        Directory.CreateDirectory(Path.Combine(dir, "site"));
        File.WriteAllText(Path.Combine(dir, "site", "index.html"), "home");
        var site = new StaticSite(Path.Combine(dir, "site"), true);
        await using var server = await LoopbackServer.StartAsync(c => { output.WriteLine($"path={c.Request.Path.Value}"); return site.ServeAsync(c, c.Request.Path.Value ?? "/"); });
        foreach (var t in new[] { "/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/..\\secret.txt", "/%c0%ae%c0%ae/secret.txt", "/%252e%252e/secret.txt", "/..%00/secret.txt", "http://site/../secret.txt", "/..;/secret.txt" })
        {
            var r = await RawHttp.SendAsync(server.Port, $"GET {t} HTTP/1.1", "Host: site");
            output.WriteLine($"{t} -> {r.Status}");
        }
        foreach (var t in new[] { "/a%2Fb%20c?q=x%26y&z=%C3%A9", "/%7E%41/%2e%2e/x", "/a/./b/../c", "/api/%2e%2e/admin" })
        {
            output.WriteLine($"{t} -> {new Uri(new Uri("http://127.0.0.1:5000"), t).PathAndQuery}");
        }
        TempDirs.Delete(dir);
    }
}
