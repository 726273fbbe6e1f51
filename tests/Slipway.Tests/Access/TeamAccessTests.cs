using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Access;

/// <summary>A team on one platform: an owner made with the setup code, a deployer of one app, a viewer and a CI
/// token, each using the real CLI as its own process over the API's TCP listener; every refusal names what is
/// missing and lands in the audit log.</summary>
[Collection("platform-3")]
public sealed class TeamAccessTests
{
    [Fact]
    public async Task Roles_scope_what_each_user_and_token_may_do_and_every_refusal_is_audited()
    {
        var port = Ports.Free();
        await using var platform = await TestPlatform.StartAsync(apiPort: port);
        var url = $"http://127.0.0.1:{port}";
        var secrets = TempDirs.Create("team");
        string PasswordFile(string user)
        {
            var file = Path.Combine(secrets, user + ".pw");
            File.WriteAllText(file, $"correct horse {user} battery\n");
            return file;
        }

        File.Exists(Path.Combine(platform.DataDir, "setup-code")).Should().BeTrue("the first start leaves a one-time setup code, never a default password");
        (await platform.CliAsync("setup", "alice", "--password-file", PasswordFile("alice"))).ExitCode.Should().Be(0);
        File.Exists(Path.Combine(platform.DataDir, "setup-code")).Should().BeFalse("the code works once");
        (await platform.CliAsync("users", "add", "dave", "deployer", "--app", "shop", "--password-file", PasswordFile("dave"))).ExitCode.Should().Be(0);
        (await platform.CliAsync("users", "add", "vera", "viewer", "--password-file", PasswordFile("vera"))).ExitCode.Should().Be(0);
        (await platform.DeployAsync(EnvApp.Create(), "shop")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(EnvApp.Create(), "billing")).ExitCode.Should().Be(0);
        var local = await platform.CliAsync("whoami");
        local.Out.Should().MatchRegex(@"^local:\d+ \(local\): owner", "the socket is the server owner's path, known by its peer's uid");

        // The deployer, logged in from its own HOME: shop yes, billing and user management no.
        var dave = new RemoteCli(TempDirs.Create("dave-home"));
        (await dave.RunAsync("login", url, "--user", "dave", "--password-file", PasswordFile("dave"))).ExitCode.Should().Be(0);
        (await dave.RunAsync("whoami")).Out.Should().Contain("dave (user): deployer of shop");
        var restart = await dave.RunAsync("restart", "--app", "shop");
        restart.ExitCode.Should().Be(0, restart.ToString());
        var hosted = await dave.RunAsync("deploy", EnvApp.Create(), "--app", "shop", "--host", "taken.example.com");
        hosted.ExitCode.Should().Be(1, "taking a hostname is an admin's");
        hosted.Err.Should().Contain("hosts.add needs admin");
        var billing = await dave.RunAsync("restart", "--app", "billing");
        billing.ExitCode.Should().Be(1);
        billing.Err.Should().Contain("dave has no role for billing; restart needs deployer of billing");
        (await dave.RunAsync("users", "ls")).Err.Should().Contain("users.list needs owner on the whole platform");
        // Another environment's domain is no domain to dave: the same answer as for a name nobody has.
        (await platform.CliAsync("domains", "add", "billing.example.test", "--app", "billing")).ExitCode.Should().Be(0);
        var hidden = await dave.RunAsync("domains", "rm", "billing.example.test");
        var unknown = await dave.RunAsync("domains", "rm", "nobody.example.test");
        hidden.ExitCode.Should().Be(1);
        hidden.Err.Should().Contain("billing.example.test is not a domain here");
        unknown.Err.Should().Contain("nobody.example.test is not a domain here");
        using (var direct = new HttpClient())
        {
            // The deploy endpoint takes no server path from a login: a local directory arrives as an upload.
            var login = JsonDocument.Parse(File.ReadAllText(Path.Combine(dave.Home, ".config", "slipway", "login.json"))).RootElement.GetProperty("token").GetString();
            direct.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", login);
            using var byPath = await direct.PostAsJsonAsync($"{url}/v1/apps/shop/deployments", new { source = "/etc" });
            byPath.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            (await byPath.Content.ReadAsStringAsync()).Should().Contain("Only a git URL can be deployed through a login or a token");
        }

        // The viewer reads logs but cannot change config.
        var vera = new RemoteCli(TempDirs.Create("vera-home"));
        (await vera.RunAsync("login", url, "--user", "vera", "--password-file", PasswordFile("vera"))).ExitCode.Should().Be(0);
        (await vera.RunAsync("logs", "--app", "shop")).ExitCode.Should().Be(0);
        var set = await vera.RunAsync("env", "set", "--app", "shop", "--no-deploy", "X=1");
        set.ExitCode.Should().Be(1);
        set.Err.Should().Contain("vera is viewer of shop; config.set needs deployer of shop");
        (await vera.RunAsync("env", "get", "TOKEN", "--app", "shop", "--reveal")).ExitCode.Should().Be(1);

        // A CI token: shop only, and revoked it stops at once.
        var create = await platform.CliAsync("tokens", "create", "--name", "ci", "--app", "shop", "--role", "deployer", "--json");
        create.ExitCode.Should().Be(0, create.ToString());
        var made = JsonDocument.Parse(create.Out).RootElement;
        var secret = made.GetProperty("token").GetString()!;
        var ci = new RemoteCli(TempDirs.Create("ci-home"), url, secret);
        (await ci.RunAsync("status", "--app", "shop")).ExitCode.Should().Be(0);
        (await ci.RunAsync("status", "--app", "billing")).Err.Should().Contain("has no role for billing");
        (await platform.CliAsync("tokens", "revoke", "ci")).ExitCode.Should().Be(0);
        var revoked = await ci.RunAsync("status", "--app", "shop");
        revoked.ExitCode.Should().Be(1);
        revoked.Err.Should().Contain("Token ci was revoked");
        var listed = JsonDocument.Parse((await platform.CliAsync("tokens", "ls", "--json")).Out).RootElement[0];
        listed.GetProperty("lastUsedFrom").GetString().Should().Be("127.0.0.1");
        listed.ToString().Should().NotContain(secret, "stored hashed, shown once");

        var audit = JsonDocument.Parse((await platform.CliAsync("audit", "--json", "--limit", "1000")).Out).RootElement.EnumerateArray()
            .Select(e => (Actor: e.GetProperty("actor").GetString()!, Action: e.GetProperty("action").GetString()!, App: e.GetProperty("app").GetString(),
                Outcome: e.GetProperty("outcome").GetString()!, Address: e.GetProperty("address").GetString(), Client: e.GetProperty("client").GetString()))
            .ToList();
        audit.Should().Contain(e => e.Actor == "dave" && e.Action == "restart" && e.App == "billing" && e.Outcome == "denied" && e.Address == "127.0.0.1");
        audit.Should().Contain(e => e.Actor == "dave" && e.Action == "restart" && e.App == "shop" && e.Outcome == "ok" && e.Client!.StartsWith("slipway-cli/"));
        audit.Should().Contain(e => e.Actor == "dave" && e.Action == "users.list" && e.Outcome == "denied");
        audit.Should().Contain(e => e.Actor == "vera" && e.Action == "config.set" && e.Outcome == "denied");
        audit.Should().Contain(e => e.Actor.StartsWith("token:ci") && e.App == "billing" && e.Outcome == "denied");
        audit.Should().Contain(e => e.Actor == "anonymous" && e.App == "shop" && e.Outcome == "denied", "the revoked token's attempt");
        audit.Should().Contain(e => e.Actor == "vera" && e.Action == "login" && e.Outcome == "ok");
        audit.Should().Contain(e => e.Actor.StartsWith("local:") && e.Action == "tokens.revoke" && e.Outcome == "ok");
    }

    [Fact]
    public async Task Password_guessing_is_throttled_per_account_and_errors_never_name_a_server_path()
    {
        var port = Ports.Free();
        await using var platform = await TestPlatform.StartAsync(apiPort: port);
        var password = Path.Combine(TempDirs.Create("pw"), "pw");
        File.WriteAllText(password, "a long enough passphrase\n");
        (await platform.CliAsync("setup", "owner", "--password-file", password)).ExitCode.Should().Be(0);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        using (var anonymous = await http.GetAsync("v1/apps"))
        {
            anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            (await anonymous.Content.ReadAsStringAsync()).Should().NotContain(platform.DataDir).And.Contain("slipway login");
        }
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var attempt = await http.PostAsJsonAsync("v1/login", new { name = "owner", password = $"guess number {i}" });
            statuses.Add(attempt.StatusCode);
        }
        statuses.Take(5).Should().AllBeEquivalentTo(HttpStatusCode.Unauthorized);
        statuses.Skip(5).Should().AllBeEquivalentTo(HttpStatusCode.TooManyRequests);
        using var right = await http.PostAsJsonAsync("v1/login", new { name = "owner", password = "a long enough passphrase" });
        right.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "while locked even the right password is refused, so a lock cannot be probed");
        right.Headers.RetryAfter!.Delta.Should().BePositive();
    }

    [Fact]
    public async Task A_browser_session_needs_its_csrf_token_to_change_anything_and_a_rebound_host_is_refused()
    {
        var port = Ports.Free();
        await using var platform = await TestPlatform.StartAsync(apiPort: port);
        var password = Path.Combine(TempDirs.Create("pw"), "pw");
        File.WriteAllText(password, "a long enough passphrase\n");
        (await platform.CliAsync("setup", "alice", "--password-file", password)).ExitCode.Should().Be(0);
        (await platform.DeployAsync(EnvApp.Create(), "shop")).ExitCode.Should().Be(0);

        // Through the edge, under the platform host, as a browser would.
        using var handler = new HttpClientHandler { UseCookies = true };
        using var browser = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{platform.EdgePort}/") };
        browser.DefaultRequestHeaders.Host = "slipway.localhost";
        using var login = await browser.PostAsJsonAsync("v1/login", new { name = "alice", password = "a long enough passphrase", kind = "browser" });
        login.StatusCode.Should().Be(HttpStatusCode.OK);
        var cookie = login.Headers.GetValues("Set-Cookie").Single();
        cookie.Should().Contain("httponly").And.Contain("samesite=strict");
        var csrf = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("csrf").GetString()!;
        using (var read = await browser.GetAsync("v1/whoami"))
        {
            read.StatusCode.Should().Be(HttpStatusCode.OK, "reading needs only the cookie");
        }
        using (var forged = await browser.PostAsync("v1/apps/shop/restart", new FormUrlEncodedContent([])))
        {
            forged.StatusCode.Should().Be(HttpStatusCode.Forbidden, "a form posted from another site carries the cookie but not the token");
            (await forged.Content.ReadAsStringAsync()).Should().Contain("X-CSRF-Token");
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/apps/shop/restart");
        request.Headers.Add("X-CSRF-Token", csrf);
        using (var real = await browser.SendAsync(request))
        {
            real.StatusCode.Should().Be(HttpStatusCode.Accepted);
            real.Headers.Contains("Access-Control-Allow-Origin").Should().BeFalse("no other site's page may read /v1");
            real.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");
        }

        // DNS rebinding: a page whose name now points at 127.0.0.1 talks to the API port with its own Host.
        using var rebound = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        rebound.DefaultRequestHeaders.Host = "evil.example";
        using var answer = await rebound.GetAsync("v1/ping");
        answer.StatusCode.Should().Be(HttpStatusCode.MisdirectedRequest);
        using (var anonymous = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") })
        {
            (await anonymous.GetStringAsync("v1/ping")).Should().NotContain(platform.DataDir, "no answer names a path of the server");
            (await anonymous.GetStringAsync("healthz")).Should().Be("ok\n", "an outside monitor needs no token");
        }
        var audit = (await platform.CliAsync("audit", "--json")).Out;
        audit.Should().Contain("\"actor\": \"alice\"").And.Contain("\"outcome\": \"denied\"");
    }

    [Fact]
    public async Task A_second_factor_is_asked_for_works_once_per_code_and_recovery_codes_work_once()
    {
        var port = Ports.Free();
        await using var platform = await TestPlatform.StartAsync(apiPort: port);
        var password = Path.Combine(TempDirs.Create("pw"), "pw");
        File.WriteAllText(password, "a long enough passphrase\n");
        (await platform.CliAsync("setup", "alice", "--password-file", password)).ExitCode.Should().Be(0);
        var totp = JsonDocument.Parse((await platform.CliAsync("users", "totp", "enable", "alice", "--json")).Out).RootElement;
        var secret = totp.GetProperty("secret").GetString()!;
        totp.GetProperty("uri").GetString().Should().StartWith("otpauth://totp/slipway.localhost:alice?secret=");
        var recovery = totp.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList();
        recovery.Should().HaveCount(10).And.OnlyHaveUniqueItems();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        async Task<HttpStatusCode> Login(string? code)
        {
            using var answer = await http.PostAsJsonAsync("v1/login", new { name = "alice", password = "a long enough passphrase", code });
            return answer.StatusCode;
        }

        (await Login(null)).Should().Be(HttpStatusCode.Unauthorized, "the password alone is not enough any more");
        var now = Slipway.Access.SecondFactor.Code(secret, DateTimeOffset.UtcNow);
        (await Login(now)).Should().Be(HttpStatusCode.OK);
        (await Login(now)).Should().Be(HttpStatusCode.Unauthorized, "a code seen once cannot be replayed");
        (await Login(recovery[0])).Should().Be(HttpStatusCode.OK);
        (await Login(recovery[0])).Should().Be(HttpStatusCode.Unauthorized, "each recovery code works once");
        var users = JsonDocument.Parse((await platform.CliAsync("users", "ls", "--json")).Out).RootElement;
        users[0].GetProperty("totp").GetBoolean().Should().BeTrue();
        (await platform.CliAsync("users", "totp", "disable", "alice")).ExitCode.Should().Be(0);
        (await Login(null)).Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_token_cannot_make_tokens_and_a_demoted_users_tokens_are_revoked()
    {
        var port = Ports.Free();
        await using var platform = await TestPlatform.StartAsync(apiPort: port);
        var url = $"http://127.0.0.1:{port}";
        var password = Path.Combine(TempDirs.Create("pw"), "pw");
        File.WriteAllText(password, "a long enough passphrase\n");
        (await platform.CliAsync("setup", "alice", "--password-file", password)).ExitCode.Should().Be(0);
        (await platform.CliAsync("users", "add", "dave", "admin", "--app", "shop", "--password-file", password)).ExitCode.Should().Be(0);
        (await platform.DeployAsync(EnvApp.Create(), "shop")).ExitCode.Should().Be(0);
        var dave = new RemoteCli(TempDirs.Create("dave-home"));
        (await dave.RunAsync("login", url, "--user", "dave", "--password-file", password)).ExitCode.Should().Be(0);
        var made = await dave.RunAsync("tokens", "create", "--name", "ci", "--app", "shop", "--role", "admin", "--json");
        made.ExitCode.Should().Be(0, made.ToString());
        var ci = new RemoteCli(TempDirs.Create("ci-home"), url, JsonDocument.Parse(made.Out).RootElement.GetProperty("token").GetString());

        var minted = await ci.RunAsync("tokens", "create", "--name", "forever", "--app", "shop", "--role", "admin");
        minted.ExitCode.Should().Be(1);
        minted.Err.Should().Contain("A token cannot make tokens");
        (await ci.RunAsync("status", "--app", "shop")).ExitCode.Should().Be(0);

        (await platform.CliAsync("users", "role", "dave", "viewer", "--app", "shop")).ExitCode.Should().Be(0);

        var after = await ci.RunAsync("status", "--app", "shop");
        after.ExitCode.Should().Be(1, "the token was an admin's, and dave is no longer one");
        var tokens = await platform.CliAsync("tokens", "ls");
        tokens.Out.Should().Contain("ci").And.Contain("revoked");
    }

    /// <summary>The slipway CLI as its own process with its own HOME (and so its own login), never the test's data directory.</summary>
    internal sealed class RemoteCli(string home, string? url = null, string? token = null, string? ca = null, string? executable = null)
    {
        public string Home => home;

        public async Task<CliResult> RunAsync(params string[] args)
        {
            var psi = new ProcessStartInfo(executable ?? Path.Combine(AppContext.BaseDirectory, "slipway"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var arg in args)
            {
                psi.ArgumentList.Add(arg);
            }
            psi.Environment["HOME"] = home;
            psi.Environment["XDG_CONFIG_HOME"] = Path.Combine(home, ".config");
            psi.Environment.Remove("SLIPWAY_DATA");
            psi.Environment["XDG_DATA_HOME"] = Path.Combine(home, ".local", "share");
            if (url is not null)
            {
                psi.Environment["SLIPWAY_URL"] = url;
                psi.Environment["SLIPWAY_TOKEN"] = token;
            }
            if (ca is not null)
            {
                psi.Environment["SLIPWAY_CA"] = ca;
            }
            using var process = Process.Start(psi)!;
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            return new CliResult(process.ExitCode, await stdout, await stderr);
        }
    }
}
