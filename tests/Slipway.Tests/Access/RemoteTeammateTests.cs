using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Access;

/// <summary>A teammate on another machine: the published, self-contained CLI logs in over HTTPS at the platform host,
/// deploys, reads logs and rolls back, and a CI runner uses the CLI the platform hands out. Solo: it waits for the
/// CLI that test.sh publishes in the background, which is done by the time the solo phase starts.</summary>
[Collection("platform-solo")]
public sealed class RemoteTeammateTests
{
    [Fact]
    public async Task A_teammate_logs_in_over_https_under_the_platform_host_reads_logs_and_rolls_back()
    {
        await using var platform = await TestPlatform.StartAsync(https: true, cliFile: await PublishedCli.PathAsync());
        var password = Path.Combine(TempDirs.Create("pw"), "pw");
        File.WriteAllText(password, "a long enough passphrase\n");
        (await platform.CliAsync("setup", "alice", "--password-file", password)).ExitCode.Should().Be(0);
        (await platform.CliAsync("users", "add", "dave", "deployer", "--app", "shop", "--password-file", password)).ExitCode.Should().Be(0);
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "shop")).ExitCode.Should().Be(0);
        var url = $"https://slipway.localhost:{platform.EdgeHttpsPort}";
        var ca = Path.Combine(platform.DataDir, "certs", "_development", "root.pem");

        var dave = new TeamAccessTests.RemoteCli(TempDirs.Create("dave-home"));
        var untrusted = await dave.RunAsync("login", url, "--user", "dave", "--password-file", password);
        untrusted.ExitCode.Should().Be(1, "a certificate nobody vouched for is refused");
        var login = await dave.RunAsync("login", url, "--user", "dave", "--ca", ca, "--password-file", password);
        login.ExitCode.Should().Be(0, login.ToString());
        var stored = Path.Combine(dave.Home, ".config", "slipway", "login.json");
        File.GetUnixFileMode(stored).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (await dave.RunAsync("whoami")).Out.Should().Contain("dave (user): deployer of shop");
        var deploy = await dave.RunAsync("deploy", TestApps.Copy("node-api", "2"), "--app", "shop");
        deploy.ExitCode.Should().Be(0, deploy.ToString());
        deploy.Err.Should().Contain("==> uploading the source");
        deploy.Out.Should().Contain("is live", "the build and deploy steps stream over the login");
        (await platform.VersionAsync("shop")).Should().Be("2");
        (await dave.RunAsync("logs", "--app", "shop")).ExitCode.Should().Be(0);
        var rollback = await dave.RunAsync("rollback", "--app", "shop");
        rollback.ExitCode.Should().Be(0, rollback.ToString());
        rollback.Out.Should().Contain("is live", "the deployment's progress streams over the login");
        (await platform.VersionAsync("shop")).Should().Be("1");

        // The CLI handed out by the platform: self-contained, so a CI runner without .NET runs it as it is.
        var token = JsonDocument.Parse(File.ReadAllText(stored)).RootElement.GetProperty("token").GetString()!;
        var downloaded = Path.Combine(TempDirs.Create("ci-runner"), "slipway");
        using (var download = TrustingClient(ca))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{platform.EdgeHttpsPort}/v1/cli/linux-x64");
            request.Headers.Host = $"slipway.localhost:{platform.EdgeHttpsPort}";
            using var response = await download.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.StatusCode.Should().Be(HttpStatusCode.OK, "anyone may download the CLI");
            await using (var file = File.Create(downloaded))
            {
                await response.Content.CopyToAsync(file);
            }
        }
        File.SetUnixFileMode(downloaded, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var runner = await new TeamAccessTests.RemoteCli(TempDirs.Create("runner-home"), url, token, ca, downloaded).RunAsync("whoami");
        runner.ExitCode.Should().Be(0, runner.ToString());
        runner.Out.Should().Contain("dave (user): deployer of shop");

        // A browser's login over HTTPS: the session cookie is __Host- (Secure, Path=/, no Domain), so no subdomain app
        // can set or shadow it; the plain name is neither written nor read over HTTPS.
        using (var browser = TrustingClient(ca))
        {
            using var asked = new HttpRequestMessage(HttpMethod.Post, $"https://127.0.0.1:{platform.EdgeHttpsPort}/v1/login")
            {
                Content = JsonContent.Create(new { name = "dave", password = "a long enough passphrase", kind = "browser" }),
            };
            asked.Headers.Host = $"slipway.localhost:{platform.EdgeHttpsPort}";
            using var loggedIn = await browser.SendAsync(asked);
            loggedIn.StatusCode.Should().Be(HttpStatusCode.OK, await loggedIn.Content.ReadAsStringAsync());
            var cookie = loggedIn.Headers.GetValues("Set-Cookie").Single();
            cookie.Should().StartWith("__Host-slipway_session=sls_");
            cookie.ToLowerInvariant().Should().Contain("; secure").And.Contain("; path=/").And.Contain("; httponly").And.Contain("; samesite=strict")
                .And.NotContain("domain=");
            var secret = cookie[(cookie.IndexOf('=', StringComparison.Ordinal) + 1)..cookie.IndexOf(';', StringComparison.Ordinal)];
            var (signedIn, page, _) = await DashboardAsync(browser, platform, "__Host-slipway_session=" + secret);
            signedIn.Should().Be(HttpStatusCode.OK);
            page.Should().Contain("dave", "the dashboard is dave's");
            var (plain, _, next) = await DashboardAsync(browser, platform, "slipway_session=" + secret);
            plain.Should().Be(HttpStatusCode.Redirect, "over HTTPS only the __Host- cookie is read: the page sends the browser to log in");
            next!.OriginalString.Should().StartWith("/login");
        }

        (await dave.RunAsync("logout")).ExitCode.Should().Be(0);
        File.Exists(stored).Should().BeFalse();
        (await new TeamAccessTests.RemoteCli(TempDirs.Create("runner-home"), url, token, ca, downloaded).RunAsync("whoami")).ExitCode.Should().Be(1, "logging out ends the session's token");
    }

    private static async Task<(HttpStatusCode, string, Uri?)> DashboardAsync(HttpClient browser, TestPlatform platform, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://127.0.0.1:{platform.EdgeHttpsPort}/");
        request.Headers.Host = $"slipway.localhost:{platform.EdgeHttpsPort}";
        request.Headers.Add("Cookie", cookie);
        using var response = await browser.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location);
    }

    /// <summary>A client that trusts the development CA's root, the --ca file (the edge serves 127.0.0.1 its localhost
    /// leaf), and follows no redirect.</summary>
    private static HttpClient TrustingClient(string ca)
    {
        var tls = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        tls.ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
        {
            using var trusted = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(ca));
            using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
            chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(trusted);
            chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
            return certificate is not null && chain.Build(certificate);
        };
        return new HttpClient(tls);
    }
}
