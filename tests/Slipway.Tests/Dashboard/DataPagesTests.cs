using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Slipway.Tests.Jobs;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.Tests.Dashboard;

/// <summary>One platform for <see cref="DataPagesTests"/>: its managed PostgreSQL cluster (the slow part) with one
/// database, ledger's main, with rows; an app, chores, whose cron prints (some of it HTML) and which has one dead
/// message; an owner and a viewer; one browser.</summary>
public sealed class DataPagesFixture : IAsyncLifetime
{
    internal TestPlatform Platform { get; private set; } = null!;

    internal Browser Browser { get; private set; } = null!;

    internal string Site => $"http://slipway.localhost:{Platform.EdgePort}";

    internal string DeadMessage { get; private set; } = "";

    internal TimeSpan SetUp { get; private set; }

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        Platform = await TestPlatform.StartAsync(configure: o => o with { DatabasesDir = o.DataDir + "-db" });
        var browser = Browser.LaunchAsync();
        // The cluster's first database (initdb, the slow part), the app's deploy and the users at once.
        try
        {
            await Task.WhenAll(DatabaseAsync(), MessageAsync(), UsersAsync());
        }
        finally
        {
            Browser = await browser;
        }
        SetUp = clock.Elapsed;
    }

    /// <summary>ledger's main, with 300 rows.</summary>
    private async Task DatabaseAsync()
    {
        var created = await Platform.CliAsync("db", "create", "--create", "--app", "ledger");
        created.ExitCode.Should().Be(0, created.ToString());
        var rows = await Platform.CliAsync("db", "psql", "--app", "ledger", "-c",
            "create table entries(id serial primary key, v text); insert into entries(v) select 'e' || g from generate_series(1, 300) g");
        rows.ExitCode.Should().Be(0, rows.ToString());
    }

    /// <summary>chores, with its cron that prints (some of it HTML) and one dead message.</summary>
    private async Task MessageAsync()
    {
        var app = JobsApp.Create([JobsApp.Command("report", "0 3 * * *", "echo '<b>not bold</b>'; node job.js")]);
        var deployed = await Platform.DeployAsync(app, "chores");
        deployed.ExitCode.Should().Be(0, deployed.ToString());
        var (status, body) = await Platform.PublishAsync("chores", new { path = "/receive/always-500", body = "x", retries = 0 });
        status.Should().Be(202, body.ToString());
        DeadMessage = body.GetProperty("id").GetString()!;
        await Platform.MessageAsync(DeadMessage, m => m.Status == "dead");
    }

    /// <summary>olga, the owner, and vic, a viewer.</summary>
    private async Task UsersAsync()
    {
        await Platform.AddUserAsync("olga", null);
        await Platform.AddUserAsync("vic", "viewer");
    }

    /// <summary>A profile of its own with <paramref name="user"/> logged in through the form, on <paramref name="path"/>.</summary>
    internal async Task<BrowserPage> LogInAsync(string user, string path, int width = 1280)
    {
        var page = await Browser.OpenAsync(width);
        await page.Page.GotoAsync(Site + path);
        await page.Page.FillAsync("#name", user);
        await page.Page.FillAsync("#password", $"correct horse {user} battery");
        await page.Page.ClickAsync("button[type=submit]");
        await page.Page.WaitForURLAsync(Site + path);
        return page;
    }

    /// <summary>The JSON API's answer to <paramref name="page"/>'s session asking for <paramref name="path"/> outside the
    /// page, as a script would (a 403 inside the page would be a console error).</summary>
    internal async Task<(HttpStatusCode Status, string Body)> PostAsAsync(BrowserPage page, string path, object? body = null)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{Platform.EdgePort}{path}")
        {
            Content = System.Net.Http.Json.JsonContent.Create(body ?? new { }),
        };
        request.Headers.Host = $"slipway.localhost:{Platform.EdgePort}";
        request.Headers.Add("Cookie", await page.CookieHeaderAsync(Site));
        request.Headers.Add("X-CSRF-Token", await page.Page.Locator("meta[name=csrf-token]").GetAttributeAsync("content"));
        using var answer = await client.SendAsync(request);
        return (answer.StatusCode, await answer.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        await Platform.DisposeAsync();
    }
}

/// <summary>The Databases, Crons and Messages pages in the machine's Chromium, through the edge: an owner takes a
/// backup and sees it verified, restores it into a new database and branches into a new environment, and sees both;
/// runs a cron now and reads its output (as text) in its history; retries a dead message. A viewer sees the same lists
/// without a button, and the API refuses the viewer's request made anyway. Each page: no serious accessibility
/// violation, no error or CSP refusal, no sideways scroll at 375 px, a screenshot.</summary>
[Collection("platform")]
public sealed class DataPagesTests(DataPagesFixture fixture, ITestOutputHelper output) : IClassFixture<DataPagesFixture>
{
    private TestPlatform Platform => fixture.Platform;

    [Fact]
    public async Task An_owner_backs_up_restores_and_branches_a_database_and_a_viewer_only_reads()
    {
        output.WriteLine($"fixture set up in {fixture.SetUp.TotalSeconds:0.0} s");
        await using var owner = await fixture.LogInAsync("olga", "/databases");
        var tab = owner.Page;
        var asked = new List<string>();
        tab.Dialog += async (_, dialog) =>
        {
            asked.Add(dialog.Message);
            await dialog.AcceptAsync();
        };
        var main = tab.Locator(".database").Filter(new() { Has = tab.Locator("h2", new() { HasTextString = "main ledger" }) });
        await Assertions.Expect(main).ToHaveCountAsync(1);
        (await main.Locator(".size").TextContentAsync()).Should().MatchRegex(@"^\d+\.\d (kB|MB)$", "the page waits for a first sample of a database it has not measured");
        await Assertions.Expect(main.Locator(".last-backup")).ToHaveTextAsync("none yet");
        (await owner.AxeAsync()).Should().BeEmpty("the databases page has no serious accessibility violation");

        // By keyboard: the backup button takes focus and Enter presses it; the backup is verified before the answer.
        var step = Stopwatch.StartNew();
        await main.Locator("button", new() { HasTextString = "Take a backup" }).FocusAsync();
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#notice")).ToContainTextAsync("Backup of main (ledger) finished", new() { Timeout = 30_000 });
        output.WriteLine($"backup taken and verified in {step.Elapsed.TotalSeconds:0.0} s");
        await Assertions.Expect(main.Locator(".last-backup")).ToContainTextAsync("verified");
        var backups = JsonDocument.Parse((await Platform.CliAsync("db", "backups", "--app", "ledger", "--json")).Out).RootElement.EnumerateArray().ToList();
        var backup = backups.Should().ContainSingle().Which.GetProperty("id").GetString()!;
        await main.Locator("details.backups > summary").ClickAsync();
        var row = main.Locator($"#backup-row-{backup}");
        await Assertions.Expect(row).ToContainTextAsync("verified");
        await Assertions.Expect(row).ToContainTextAsync("1 tables, 300 rows");

        await row.Locator("details.restore > summary").ClickAsync();
        await row.Locator("input[name=toNew]").FillAsync("ledger_copy");
        step.Restart();
        await row.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(tab.Locator("#notice")).ToContainTextAsync("Restored into a new database", new() { Timeout = 30_000 });
        output.WriteLine($"restored to a new database in {step.Elapsed.TotalSeconds:0.0} s");
        var copy = tab.Locator(".database").Filter(new() { Has = tab.Locator("h2", new() { HasTextString = "ledger_copy ledger (detached)" }) });
        await Assertions.Expect(copy).ToHaveCountAsync(1);
        await Assertions.Expect(copy.Locator(".badge").First).ToHaveTextAsync("detached");

        await main.Locator("details.branch > summary").ClickAsync();
        await main.Locator("input[name=env]").FillAsync("staging");
        step.Restart();
        await main.Locator("details.branch button[type=submit]").ClickAsync();
        await Assertions.Expect(tab.Locator("#notice")).ToContainTextAsync("Branched main", new() { Timeout = 30_000 });
        output.WriteLine($"branched in {step.Elapsed.TotalSeconds:0.0} s");
        asked.Should().ContainSingle().Which.Should().StartWith("Branch main of ledger into environment staging?");
        var branch = tab.Locator(".database").Filter(new() { Has = tab.Locator("h2", new() { HasTextString = "main ledger (staging)" }) });
        await Assertions.Expect(branch).ToHaveCountAsync(1);
        var copied = await Platform.CliAsync("db", "psql", "--app", "ledger", "--env", "staging", "-c", "select count(*) from entries");
        copied.Out.Trim().Should().Be("300", "the branch holds the source's rows");

        // The refreshes after the restore and the branch kept what the user had opened (a morph copies no "open").
        (await main.First.Locator("details.backups").GetAttributeAsync("open")).Should().NotBeNull("a refresh keeps an opened list open");
        await main.First.Locator("details.restore").EvaluateAsync("d => { d.open = true; }");
        (await owner.AxeAsync()).Should().BeEmpty("the databases page with its backups and forms open has no serious accessibility violation");
        await owner.ScreenshotAsync("databases");
        await tab.SetViewportSizeAsync(375, 800);
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("the databases page fits a 375 px screen");
        await owner.ScreenshotAsync("databases-375");

        await using var viewer = await fixture.LogInAsync("vic", "/databases", 375);
        await Assertions.Expect(viewer.Page.Locator(".database")).ToHaveCountAsync(3);
        (await viewer.Page.Locator("#databases button, #databases form").CountAsync()).Should().Be(0, "a viewer may not back up, restore or branch");
        var refused = await fixture.PostAsAsync(viewer, "/v1/apps/ledger/databases/main/backups");
        refused.Status.Should().Be(HttpStatusCode.Forbidden, refused.Body);
        refused.Body.Should().Contain("vic is viewer");

        owner.Errors.Should().BeEmpty();
        viewer.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task An_owner_runs_a_cron_now_and_reads_its_output_as_text_and_a_viewer_cannot_run_it()
    {
        await using var owner = await fixture.LogInAsync("olga", "/crons");
        var tab = owner.Page;
        tab.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        var report = tab.Locator(".cron").Filter(new() { HasTextString = "report" });
        await Assertions.Expect(report).ToContainTextAsync("0 3 * * *");
        await Assertions.Expect(report.Locator(".last-run")).ToHaveTextAsync("never run");
        (await owner.AxeAsync()).Should().BeEmpty("the crons page has no serious accessibility violation");

        await report.Locator("button", new() { HasTextString = "Run now" }).FocusAsync();
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync("Started report; its run and output show in its history.");
        await Assertions.Expect(report.Locator(".last-run")).ToContainTextAsync("succeeded (exit 0)", new() { Timeout = 20_000 });
        await owner.ScreenshotAsync("crons");
        await tab.SetViewportSizeAsync(375, 800);
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("the crons page fits a 375 px screen");

        await report.Locator("a", new() { HasTextString = "History and output" }).ClickAsync();
        await tab.WaitForURLAsync(fixture.Site + "/crons/chores/report");
        var printed = tab.Locator(".run .output").First;
        await Assertions.Expect(printed).ToContainTextAsync("processed 3 rows");
        await Assertions.Expect(printed).ToContainTextAsync("a warning on stderr");
        await Assertions.Expect(printed).ToContainTextAsync("<b>not bold</b>");
        (await printed.Locator("b").CountAsync()).Should().Be(0, "a job's output is text, never markup");
        (await owner.AxeAsync()).Should().BeEmpty("a cron's page has no serious accessibility violation");
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("a cron's page fits a 375 px screen");
        await owner.ScreenshotAsync("cron-375");

        await using var viewer = await fixture.LogInAsync("vic", "/crons/chores/report", 375);
        await Assertions.Expect(viewer.Page.Locator(".run .output").First).ToContainTextAsync("processed 3 rows");
        (await viewer.Page.Locator("#cron button").CountAsync()).Should().Be(0, "a viewer may not run jobs");
        var refused = await fixture.PostAsAsync(viewer, "/v1/apps/chores/crons/report/runs");
        refused.Status.Should().Be(HttpStatusCode.Forbidden, refused.Body);

        owner.Errors.Should().BeEmpty();
        viewer.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task An_owner_retries_a_dead_message_and_a_viewer_cannot()
    {
        await using var viewer = await fixture.LogInAsync("vic", "/messages", 375);
        var dead = viewer.Page.Locator($"#message-{fixture.DeadMessage}");
        await Assertions.Expect(dead).ToContainTextAsync("dead");
        await Assertions.Expect(dead).ToContainTextAsync("/receive/always-500");
        (await viewer.Page.Locator("#messages button").CountAsync()).Should().Be(0, "a viewer may not resend messages");
        var refused = await fixture.PostAsAsync(viewer, $"/v1/apps/chores/messages/{fixture.DeadMessage}/retry");
        refused.Status.Should().Be(HttpStatusCode.Forbidden, refused.Body);
        (await viewer.ScrollsSidewaysAsync()).Should().BeFalse("the messages page fits a 375 px screen");

        await using var owner = await fixture.LogInAsync("olga", "/messages");
        var tab = owner.Page;
        var asked = "";
        tab.Dialog += async (_, dialog) =>
        {
            asked = dialog.Message;
            await dialog.AcceptAsync();
        };
        (await owner.AxeAsync()).Should().BeEmpty("the messages page has no serious accessibility violation");
        await owner.ScreenshotAsync("messages");
        await tab.Locator($"#retry-{fixture.DeadMessage}").ClickAsync();
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync($"Message {fixture.DeadMessage} is pending again.");
        asked.Should().StartWith($"Send message {fixture.DeadMessage} of chores again?");
        // Sent again: the receiver gets it a second time (and refuses it again, so it is dead again).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await Platform.GetJsonAsync("chores", "/received")).EnumerateArray().Count(r => r.GetProperty("name").GetString() == "always-500") < 2)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the retried message is delivered again");
            await Task.Delay(100);
        }

        owner.Errors.Should().BeEmpty();
        viewer.Errors.Should().BeEmpty();
    }
}
