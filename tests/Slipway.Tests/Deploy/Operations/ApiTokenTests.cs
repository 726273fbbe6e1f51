using System.Net;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy.Operations;

/// <summary>The API on TCP asks for the bearer token; the token file and socket are the owner's only.</summary>
[Collection("platform")]
public sealed class ApiTokenTests
{
    [Fact]
    public async Task The_API_on_TCP_requires_the_bearer_token()
    {
        var port = Ports.Free();
        await using var platform = await TestPlatform.StartAsync(apiPort: port);
        using var http = new HttpClient();
        using var anonymous = await http.GetAsync($"http://localhost:{port}/v1/apps");
        anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var tokenFile = Path.Combine(platform.DataDir, "api-token");
        File.GetUnixFileMode(tokenFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://localhost:{port}/v1/apps");
        request.Headers.Authorization = new("Bearer", File.ReadAllText(tokenFile).Trim());
        using var authorized = await http.SendAsync(request);
        authorized.StatusCode.Should().Be(HttpStatusCode.OK);
        File.GetUnixFileMode(Path.Combine(platform.DataDir, "slipway.sock")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
