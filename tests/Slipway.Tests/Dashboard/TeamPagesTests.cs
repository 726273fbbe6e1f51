using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.Tests.Dashboard;

/// <summary>The Team page in the machine's Chromium, through the edge: the owner adds a user and changes its role with the
/// forms, revokes a token with its button (after the confirmation), makes one with the form and sees its secret once (in a
/// dialog the content's refreshes leave alone), and reads the audit lines of those actions; an admin of one app and of one
/// environment of another sees the tokens of its app, a form for tokens of those scopes only (the environment fixed with its
/// app), and no users (the API refuses it the users and wider tokens); a viewer is not shown the Team entry and both the
/// page and the API answer it 403.</summary>
[Collection("platform-2")]
public sealed class TeamPagesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_owner_manages_users_and_tokens_and_reads_the_audit_log_and_others_cannot()
    {
        await using var platform = await TestPlatform.StartAsync();
        await platform.AddUserAsync("olga", null);
        await platform.AddUserAsync("adam", "admin", "--app", "shop");
        await platform.AddUserAsync("vic", "viewer");
        var made = await platform.CliAsync("tokens", "create", "--name", "ci-deploy", "--app", "shop", "--role", "deployer", "--json");
        made.ExitCode.Should().Be(0, made.ToString());
        var tokenId = JsonDocument.Parse(made.Out).RootElement.GetProperty("id").GetString()!;
        var cart = await platform.CliAsync("users", "role", "adam", "admin", "--app", "cart", "--env", "staging");
        cart.ExitCode.Should().Be(0, cart.ToString());
        // A line of shop's own in the audit log (a token's or a user's lines are the platform's).
        var set = await platform.CliAsync("env", "set", "--app", "shop", "--create", "--no-deploy", "GREETING=hello");
        set.ExitCode.Should().Be(0, set.ToString());

        var site = $"http://slipway.localhost:{platform.EdgePort}";
        await using var browser = await Browser.LaunchAsync();
        await using var owner = await browser.OpenAsync();
        var tab = owner.Page;
        await LogInAsync(tab, site, "/team", "olga");
        await Assertions.Expect(tab.Locator("header nav a[href='/team']")).ToHaveAttributeAsync("aria-current", "page");
        await Assertions.Expect(tab.Locator("#user-olga")).ToContainTextAsync("The only owner");
        (await tab.Locator("#remove-user-olga").CountAsync()).Should().Be(0, "the only owner cannot be removed: the API would answer 409");
        var asked = new List<string>();
        tab.Dialog += async (_, dialog) =>
        {
            asked.Add(dialog.Message);
            await dialog.AcceptAsync();
        };

        // Add a user, by keyboard: the notice says what the API did, the list shows it.
        await tab.FillAsync("#new-name", "dana");
        await tab.FillAsync("#new-password", "correct horse dana battery");
        await tab.SelectOptionAsync("#new-role", "deployer");
        await tab.FillAsync("#new-app", "shop");
        await tab.FocusAsync("#add-user-button");
        (await tab.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle")).Should().NotBe("none", "focus is visible");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync("Added dana as deployer of shop.");
        await Assertions.Expect(tab.Locator("#user-dana")).ToContainTextAsync("deployer of shop");
        (await tab.InputValueAsync("#new-password")).Should().BeEmpty("the form is emptied after it was sent: no password stays in the page");

        // Change dana's role on shop (the form folds away under its summary).
        await tab.ClickAsync("#role-details-dana summary");
        await tab.SelectOptionAsync("#role-dana", "admin");
        await tab.FillAsync("#app-dana", "shop");
        await tab.ClickAsync("#set-role-dana");
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync("dana is now admin of shop.");
        await Assertions.Expect(tab.Locator("#user-dana .grants")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\s*admin of shop\s*Remove\s*$"));

        // Revoke the token: it stops working, the page says so.
        await Assertions.Expect(tab.Locator($"#token-{tokenId}")).ToContainTextAsync("active");
        await tab.ClickAsync($"#revoke-{tokenId}");
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync("Revoked ci-deploy.");
        await Assertions.Expect(tab.Locator($"#token-{tokenId} .badge")).ToHaveTextAsync("revoked");
        (await tab.Locator($"#revoke-{tokenId}").CountAsync()).Should().Be(0);
        asked.Should().Equal("Revoke token ci-deploy? Whatever uses it is refused from now on.");
        var state = JsonDocument.Parse((await platform.CliAsync("tokens", "ls", "--json")).Out).RootElement.EnumerateArray().Single();
        state.GetProperty("revokedAt").ValueKind.Should().NotBe(JsonValueKind.Null, "the API revoked it");

        // The audit log, newest first, has each action with who did it.
        var audit = tab.Locator("#audit .line");
        await Assertions.Expect(audit.First).ToContainTextAsync("tokens.revoke");
        await Assertions.Expect(audit.First).ToContainTextAsync("olga");
        await Assertions.Expect(audit.First).ToContainTextAsync("ci-deploy");
        await Assertions.Expect(audit.Nth(1)).ToContainTextAsync("users.role");
        await Assertions.Expect(audit.Nth(1)).ToContainTextAsync("dana: admin of shop");
        await Assertions.Expect(audit.Nth(2)).ToContainTextAsync("users.add");
        await Assertions.Expect(audit.Nth(2)).ToContainTextAsync("dana as deployer of shop");
        await tab.SelectOptionAsync("#audit-app", "shop");
        await tab.ClickAsync("#audit .filter button");
        await tab.WaitForURLAsync(site + "/team?app=shop");
        await Assertions.Expect(audit.First.Locator(".scope")).ToHaveTextAsync("shop");
        (await tab.Locator("#audit").TextContentAsync()).Should().NotContain("users.add", "only shop's lines: users are the platform's");
        await tab.GotoAsync(site + "/team");

        // Make a token, by keyboard: a role the API refuses for an app is its own words; then its secret is shown once, in
        // a dialog outside the refreshed content (a refresh meanwhile leaves it), beside a Copy button, works over the edge,
        // and is gone from the page when the dialog is done.
        var started = System.Diagnostics.Stopwatch.StartNew();
        await tab.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        var dialog = tab.Locator("#new-token");
        (await tab.InputValueAsync("#token-expires")).Should().Be("90d", "a token lasts 90 days unless told, as the CLI's");
        await tab.FillAsync("#token-name", "deploy-bot");
        await tab.FillAsync("#token-app", "shop");
        await tab.SelectOptionAsync("#token-role", "owner");
        await tab.FocusAsync("#make-token");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync("owner is a platform-wide role: for one app, admin is the largest role.");
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        await tab.SelectOptionAsync("#token-role", "deployer");
        await tab.FocusAsync("#make-token");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync("Made token deploy-bot: deployer of shop.");
        var listed = tab.Locator("#tokens .token", new() { HasText = "deploy-bot" });
        await Assertions.Expect(listed).ToContainTextAsync("deployer of shop");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(tab.Locator("#new-token-title")).ToHaveTextAsync("Token deploy-bot is made");
        await Assertions.Expect(tab.Locator("#new-token-status")).ToHaveTextAsync("Copy it now: it is not shown again.");
        var secret = await tab.InputValueAsync("#new-token-secret");
        secret.Should().StartWith("slp_");
        await Assertions.Expect(listed).ToContainTextAsync(secret[..4] + "…" + secret[^4..]);
        (await tab.EvaluateAsync<string>("() => document.activeElement.id")).Should().Be("new-token-secret", "the secret is focused, selected to copy");
        // Another action's refresh (a revoke elsewhere, say) morphs the content: the dialog is not in it.
        await tab.EvaluateAsync("""
            () => new Promise(done => {
              document.addEventListener('htmx:after:swap', () => done(), { once: true });
              htmx.trigger(document.body, 'slipway:changed');
            })
            """);
        (await tab.InputValueAsync("#new-token-secret")).Should().Be(secret, "a refresh of the content leaves the dialog alone");
        await tab.Keyboard.PressAsync("Tab");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#new-token-status")).ToHaveTextAsync("Copied. It is not shown again.");
        (await tab.EvaluateAsync<string>("() => navigator.clipboard.readText()")).Should().Be(secret);
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}/v1/apps"))
        {
            request.Headers.Host = $"slipway.localhost:{platform.EdgePort}";
            request.Headers.Authorization = new("Bearer", secret);
            using var answer = await platform.Http.SendAsync(request);
            answer.StatusCode.Should().Be(HttpStatusCode.OK, "the shown secret is the token's: " + await answer.Content.ReadAsStringAsync());
        }
        var tokens = await SendAsync(platform, owner, site, HttpMethod.Get, "/v1/tokens");
        var expires = JsonDocument.Parse(tokens.Body).RootElement.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "deploy-bot")
            .GetProperty("expiresAt").GetDateTimeOffset();
        expires.Should().BeCloseTo(DateTimeOffset.UtcNow.AddDays(90), TimeSpan.FromHours(1));
        (await owner.AxeAsync()).Should().BeEmpty("the Team page with the new token's dialog has no serious accessibility violation");
        // Done, by keyboard: the dialog closes, the secret is gone from it, focus is back on the form's button, the token
        // is listed behind it.
        await tab.Keyboard.PressAsync("Tab");
        (await tab.EvaluateAsync<string>("() => document.activeElement.id")).Should().Be("new-token-done");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        await Assertions.Expect(tab.Locator("#new-token-secret")).ToHaveValueAsync("");
        await Assertions.Expect(tab.Locator("#new-token-name")).ToBeEmptyAsync();
        (await tab.EvaluateAsync<bool>("() => document.getElementById('new-token').open")).Should().BeFalse();
        (await tab.EvaluateAsync<string>("() => document.activeElement.id")).Should().Be("make-token", "focus returns where the token was asked for");
        (await tab.EvaluateAsync<bool>("s => [...document.querySelectorAll('input, textarea')].some(f => f.value.includes(s))", secret[4..]))
            .Should().BeFalse("no field keeps the secret once the dialog is done");
        await Assertions.Expect(listed).ToContainTextAsync("active");
        output.WriteLine("screenshots: " + await owner.ScreenshotAsync("team"));
        await tab.SetViewportSizeAsync(375, 800);
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("the Team page fits a 375 px screen");
        await owner.ScreenshotAsync("team-375");
        output.WriteLine($"making a token: {started.ElapsedMilliseconds} ms");

        // An admin of shop: the tokens of shop and shop's audit lines, no users (the API refuses them to it too).
        await using var admin = await browser.OpenAsync(375, 800);
        await LogInAsync(admin.Page, site, "/team", "adam");
        await Assertions.Expect(admin.Page.Locator("#tokens")).ToContainTextAsync("ci-deploy");
        (await admin.Page.Locator("#users").CountAsync()).Should().Be(0, "users are the owners' to manage");
        await Assertions.Expect(admin.Page.Locator("#audit .line .scope").First).ToHaveTextAsync("shop");
        (await admin.Page.Locator("#audit").TextContentAsync()).Should().NotContain("users.add", "platform-wide lines are an owner's to read");
        (await SendAsync(platform, admin, site, HttpMethod.Get, "/v1/users")).Status.Should().Be(HttpStatusCode.Forbidden);
        (await admin.ScrollsSidewaysAsync()).Should().BeFalse();
        (await admin.AxeAsync()).Should().BeEmpty("the admin's Team page has no serious accessibility violation");
        // It makes tokens of shop only, at most admin: the form offers nothing wider, and the API refuses it anyway.
        (await admin.Page.Locator("#token-scope option").AllTextContentsAsync()).Should().Equal("cart (staging)", "shop");
        (await admin.Page.Locator("#token-role option").AllTextContentsAsync()).Should().Equal("viewer", "deployer", "admin");
        // Of cart's staging, where it is admin of that environment only: the form sends both (the app alone would be
        // all of cart's environments, which the API refuses it); Escape closes the dialog and takes the secret away.
        await admin.Page.FillAsync("#token-name", "cart-ci");
        await admin.Page.SelectOptionAsync("#token-scope", new SelectOptionValue { Label = "cart (staging)" });
        await admin.Page.ClickAsync("#make-token");
        await Assertions.Expect(admin.Page.Locator("#notice")).ToHaveTextAsync("Made token cart-ci: deployer of cart (staging).");
        await Assertions.Expect(admin.Page.Locator("#new-token-secret")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^slp_"));
        await Assertions.Expect(admin.Page.Locator("#tokens .token", new() { HasText = "cart-ci" })).ToContainTextAsync("deployer of cart (staging)");
        (await admin.ScrollsSidewaysAsync()).Should().BeFalse("the dialog fits a 375 px screen");
        await admin.Page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(admin.Page.Locator("#new-token")).ToBeHiddenAsync();
        await Assertions.Expect(admin.Page.Locator("#new-token-secret")).ToHaveValueAsync("");
        var wide = await SendAsync(platform, admin, site, HttpMethod.Post, "/v1/tokens", new { name = "wide", role = "deployer" });
        wide.Status.Should().Be(HttpStatusCode.Forbidden, wide.Body);
        wide.Body.Should().Contain("tokens.create needs admin on the whole platform");
        var billing = await SendAsync(platform, admin, site, HttpMethod.Post, "/v1/tokens", new { name = "other", role = "viewer", app = "billing" });
        billing.Status.Should().Be(HttpStatusCode.Forbidden, billing.Body);

        // A viewer: no Team entry, and the page and the API answer 403.
        await using var viewer = await browser.OpenAsync(375, 800);
        await LogInAsync(viewer.Page, site, "/", "vic");
        await Assertions.Expect(viewer.Page.Locator("header nav")).ToContainTextAsync("Overview");
        (await viewer.Page.Locator("header nav").TextContentAsync()).Should().NotContain("Team");
        var page = await SendAsync(platform, viewer, site, HttpMethod.Get, "/team");
        page.Status.Should().Be(HttpStatusCode.Forbidden, page.Body);
        page.Body.Should().Contain("vic cannot see the team");
        var forced = await SendAsync(platform, viewer, site, HttpMethod.Delete, $"/v1/tokens/{tokenId}");
        forced.Status.Should().Be(HttpStatusCode.NotFound, "a viewer manages no token: the API does not even tell it exists");
        (await SendAsync(platform, viewer, site, HttpMethod.Get, "/v1/audit")).Status.Should().Be(HttpStatusCode.Forbidden);
        (await SendAsync(platform, viewer, site, HttpMethod.Post, "/v1/tokens", new { name = "mine", role = "viewer" })).Status.Should().Be(HttpStatusCode.Forbidden);

        foreach (var profile in new[] { owner, admin, viewer })
        {
            profile.CspViolations.Should().BeEmpty();
        }
        owner.Errors.Should().ContainSingle("no page logs an error but the refused token's 400").Which.Should().Contain("status of 400");
        admin.Errors.Should().BeEmpty("no page logs an error");
        viewer.Errors.Should().BeEmpty("no page logs an error");
    }

    /// <summary>Opens <paramref name="path"/>, is sent to the login form, logs in as <paramref name="user"/> and is back.</summary>
    internal static async Task LogInAsync(IPage tab, string site, string path, string user)
    {
        await tab.GotoAsync(site + path);
        await tab.FillAsync("#name", user);
        await tab.FillAsync("#password", $"correct horse {user} battery");
        await tab.ClickAsync("button[type=submit]");
        await tab.WaitForURLAsync(site + path);
    }

    /// <summary>A request made outside the page with its profile's cookie and CSRF token, as a script would (its refusal
    /// inside the page would be a console error).</summary>
    internal static async Task<(HttpStatusCode Status, string Body)> SendAsync(TestPlatform platform, BrowserPage profile, string site, HttpMethod method,
        string path, object? body = null)
    {
        var csrf = await profile.Page.Locator("meta[name=csrf-token]").GetAttributeAsync("content");
        using var request = new HttpRequestMessage(method, $"http://127.0.0.1:{platform.EdgePort}{path}");
        if (body is not null)
        {
            request.Content = System.Net.Http.Json.JsonContent.Create(body);
        }
        request.Headers.Host = $"slipway.localhost:{platform.EdgePort}";
        request.Headers.Add("Cookie", await profile.CookieHeaderAsync(site));
        request.Headers.Add("X-CSRF-Token", csrf);
        using var answer = await platform.Http.SendAsync(request);
        return (answer.StatusCode, await answer.Content.ReadAsStringAsync());
    }
}
