using System.Text.Json;
using Slipway.Tests.Builds;
using Slipway.Tests.Support;

namespace Slipway.Tests.Git;

/// <summary>git push to the platform's remote with the real git client over HTTP, through the edge's platform host:
/// the push deploys before the branch moves, its build streams back as "remote:" lines, and a push that cannot go live
/// is refused with the branch and the live version left as they were.</summary>
[Collection("platform-3")]
public sealed class GitPushTests
{
    private static readonly TimeSpan PushTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_push_deploys_the_commit_streams_its_build_and_moves_the_branch_only_when_it_went_live()
    {
        await using var platform = await TestPlatform.StartAsync();
        var token = await DeployerTokenAsync(platform, "shop");
        var create = await platform.CliAsync("git", "create", "shop");
        create.ExitCode.Should().Be(0, create.ToString());
        var remote = $"http://slipway.localhost:{platform.EdgePort}/git/shop.git";
        create.Out.Should().Contain($"git remote add slipway {remote}").And.Contain("main → production, staging → staging");

        var work = GitRepo.Init(TempDirs.Create("push-work"));
        WriteApp(work, "v1");
        var first = work.Commit("First version");
        var url = remote.Replace("http://", $"http://ci:{token}@", StringComparison.Ordinal);
        work.Git("remote", "add", "slipway", url);

        var push = await work.TryGitAsync(PushTimeout, "push", "slipway", "main");
        push.Code.Should().Be(0, push.Err);
        push.Err.Should().Contain("remote: deploying main " + first[..12] + " \"First version\" to shop")
            .And.Contain("remote: ==> building").And.Contain("remote: ==> live at", "the deploy's own lines reach the pusher's terminal");
        (await platform.VersionAsync("shop")).Should().Be("v1");
        work.Git("ls-remote", "slipway", "refs/heads/main").Should().StartWith(first);
        var deployments = await platform.CliAsync("deployments", "--app", "shop", "--json");
        var latest = JsonDocument.Parse(deployments.Out).RootElement[0];
        latest.GetProperty("commit").GetString().Should().Be(first[..12]);
        latest.GetProperty("commitMessage").GetString().Should().Be("First version");
        latest.GetProperty("commitAuthor").GetString().Should().Be("Slipway Tests <tests@slipway.invalid>");
        latest.GetProperty("source").GetString().Should().Be("git push main");
        latest.GetProperty("requestedBy").GetString().Should().StartWith("token:push", "a push's deployment is its pusher's");

        // A build that fails refuses the push: the branch stays and v1 keeps serving.
        WriteApp(work, "v2", build: "echo compiling; exit 3");
        var broken = work.Commit("Broken build");
        var refused = await work.TryGitAsync(PushTimeout, "push", "slipway", "main");
        refused.Code.Should().NotBe(0);
        refused.Err.Should().Contain("remote: ") .And.Contain("compiling", "the failing step's output streams too")
            .And.Contain($"The push was refused: main stays at {first[..12]}").And.Contain("pre-receive hook declined");
        work.Git("ls-remote", "slipway", "refs/heads/main").Should().StartWith(first);
        (await platform.VersionAsync("shop")).Should().Be("v1");

        // Fixed on top: a fast-forward from the refused commit deploys.
        WriteApp(work, "v3");
        var fixedCommit = work.Commit("Fix the build");
        (await work.TryGitAsync(PushTimeout, "push", "slipway", "main")).Code.Should().Be(0);
        (await platform.VersionAsync("shop")).Should().Be("v3");
        work.Git("ls-remote", "slipway", "refs/heads/main").Should().StartWith(fixedCommit);
        _ = broken;

        // History rewritten: refused unless the remote allows force pushes.
        work.Git("reset", "--hard", first);
        WriteApp(work, "v4");
        work.Commit("Rewritten");
        var forced = await work.TryGitAsync(PushTimeout, "push", "--force", "slipway", "main");
        forced.Code.Should().NotBe(0);
        forced.Err.Should().Contain("this is a force push").And.Contain("slipway git create shop --allow-force");
        (await platform.VersionAsync("shop")).Should().Be("v3");
        (await platform.CliAsync("git", "create", "shop", "--allow-force")).ExitCode.Should().Be(0);
        (await work.TryGitAsync(PushTimeout, "push", "--force", "slipway", "main")).Code.Should().Be(0);
        (await platform.VersionAsync("shop")).Should().Be("v4");
    }

    [Fact]
    public async Task Pushes_that_cannot_deploy_are_refused_with_what_to_do()
    {
        await using var platform = await TestPlatform.StartAsync();
        var token = await DeployerTokenAsync(platform, "shop");
        (await platform.CliAsync("git", "create", "shop")).ExitCode.Should().Be(0);
        var work = GitRepo.Init(TempDirs.Create("push-refused"));
        work.Write("README.md", "nothing to build here\n");
        work.Commit("Docs only");
        var host = $"slipway.localhost:{platform.EdgePort}";

        var anonymous = await work.TryGitAsync(PushTimeout, "push", $"http://{host}/git/shop.git", "main");
        anonymous.Code.Should().NotBe(0);
        anonymous.Err.Should().Contain("could not read Username", "git was asked for credentials (401 with Basic), and may not prompt here");

        var unknown = await work.TryGitAsync(PushTimeout, "push", $"http://ci:{token}@{host}/git/nope.git", "main");
        unknown.Code.Should().NotBe(0);
        unknown.Err.Should().Contain("remote: nope has no git remote on this platform. Create it with: slipway git create nope");

        var url = $"http://ci:{token}@{host}/git/shop.git";
        var unbuildable = await work.TryGitAsync(PushTimeout, "push", url, "main");
        unbuildable.Code.Should().NotBe(0);
        unbuildable.Err.Should().Contain("remote: error: ").And.Contain("The push was refused: main was not created");
        work.Git("ls-remote", url).Should().BeEmpty("a refused push moves no branch");

        var unmapped = await work.TryGitAsync(PushTimeout, "push", url, "main:feature");
        unmapped.Code.Should().NotBe(0);
        unmapped.Err.Should().Contain("feature deploys nowhere (shop: main → production, staging → staging)")
            .And.Contain("slipway git map feature ENV --app shop");

        // The token is shop's deployer; a remote of another app is no remote to it, whether or not it exists.
        (await platform.CliAsync("git", "create", "billing")).ExitCode.Should().Be(0);
        var other = await work.TryGitAsync(PushTimeout, "push", $"http://ci:{token}@{host}/git/billing.git", "main");
        other.Err.Should().Contain("remote: billing has no git remote on this platform");

        // A viewer reads the repository but stores nothing in it, not even a tag.
        var viewer = await platform.CliAsync("tokens", "create", "--name", "reader", "--app", "shop", "--role", "viewer", "--json");
        var readerUrl = $"http://ci:{JsonDocument.Parse(viewer.Out).RootElement.GetProperty("token").GetString()}@{host}/git/shop.git";
        work.Git("tag", "v0");
        var tagged = await work.TryGitAsync(PushTimeout, "push", readerUrl, "v0");
        tagged.Code.Should().NotBe(0);
        tagged.Err.Should().Contain("may read shop's repository but not push to it");
        work.Git("ls-remote", "--tags", url).Should().BeEmpty();

        // Mapped by a pattern, a branch deploys to its environment.
        (await platform.CliAsync("git", "map", "release/*", "staging", "--app", "shop")).Out.Should().Contain("release/* → staging");
        WriteApp(work, "r1");
        // Larger than an app's default body limit at the edge (10 MiB) and incompressible: a push is no app request.
        File.WriteAllBytes(Path.Combine(work.Dir, "big.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(12 * 1024 * 1024));
        work.Commit("Release one");
        var release = await work.TryGitAsync(PushTimeout, "push", url, "main:release/1");
        release.Code.Should().Be(0, release.Err);
        release.Err.Should().Contain("to shop (staging)");
        (await platform.VersionAsync("shop-staging")).Should().Be("r1");
        var list = await platform.CliAsync("git", "ls", "--json");
        JsonDocument.Parse(list.Out).RootElement.EnumerateArray().Select(r => r.GetProperty("app").GetString()).Should().Equal("billing", "shop");
    }

    [Fact]
    public async Task Pushes_to_one_app_take_turns_and_a_push_streams_its_build_as_it_runs()
    {
        await using var platform = await TestPlatform.StartAsync();
        var token = await DeployerTokenAsync(platform, "shop");
        (await platform.CliAsync("git", "create", "shop")).ExitCode.Should().Be(0);
        var url = $"http://ci:{token}@slipway.localhost:{platform.EdgePort}/git/shop.git";
        var work = GitRepo.Init(TempDirs.Create("push-turns"));
        // Over git's 1 MiB post buffer, so the pack goes as a chunked body with no length.
        work.Write("assets/noise.bin", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2 * 1024 * 1024)));
        WriteApp(work, "slow", build: "echo build-started; sleep 8; echo build-done");
        work.Commit("Slow build");
        var other = GitRepo.Init(TempDirs.Create("push-turns-2"));
        WriteApp(other, "staging-1");
        other.Commit("Staging");

        DateTimeOffset? startedShown = null;
        var slow = work.TryGitAsync(PushTimeout, err =>
        {
            if (startedShown is null && err.Contains("remote:     [web] build-started", StringComparison.Ordinal))
            {
                startedShown = DateTimeOffset.UtcNow;
            }
        }, "push", url, "main");
        // While main's build runs, a push of staging to the same app waits for it, and says so.
        await WaitUntilAsync(async () => (await platform.CliAsync("deployments", "--app", "shop", "--json")).Out.Contains("building"));
        var secondWaits = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = other.TryGitAsync(PushTimeout, err =>
        {
            if (err.Contains("waiting: another push", StringComparison.Ordinal))
            {
                secondWaits.TrySetResult();
            }
        }, "push", url, "main:staging");
        // A third push to the app while one deploys and one waits is refused at once, saying why.
        await secondWaits.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var third = await other.TryGitAsync(PushTimeout, "push", url, "main:third");
        third.Code.Should().NotBe(0);
        third.Err.Should().Contain("remote: a push to shop is deploying and another is waiting for its turn; push again when they are done");
        var first = await slow;
        var ended = DateTimeOffset.UtcNow;
        var waiting = await second;
        first.Code.Should().Be(0, first.Err);
        startedShown.Should().NotBeNull(first.Err);
        (ended - startedShown!.Value).Should().BeGreaterThan(TimeSpan.FromSeconds(2),
            "the build's first line reached the pusher while it ran (it sleeps 8 s after it), not with the verdict");
        waiting.Code.Should().Be(0, waiting.Err);
        waiting.Err.Should().Contain("remote: waiting: another push to shop is deploying");
        (await platform.VersionAsync("shop")).Should().Be("slow");
        (await platform.VersionAsync("shop-staging")).Should().Be("staging-1");

        // A pusher who goes away mid-build (Ctrl-C) takes the push with them: the deployment is cancelled.
        WriteApp(work, "abandoned", build: "echo build-started; sleep 30");
        work.Commit("Abandoned");
        var gone = () => work.TryGitAsync(TimeSpan.FromSeconds(60), err =>
        {
            if (err.Contains("build-started", StringComparison.Ordinal))
            {
                throw new OperationCanceledException("the pusher presses Ctrl-C");
            }
        }, "push", url, "main");
        await gone.Should().ThrowAsync<OperationCanceledException>();
        await WaitUntilAsync(async () => JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "shop", "--json")).Out)
            .RootElement[0].GetProperty("status").GetString() == "cancelled", () => platform.CliAsync("deployments", "--app", "shop").Result.Out);
        (await platform.VersionAsync("shop")).Should().Be("slow");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string>? state = null)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            DateTimeOffset.UtcNow.Should().BeBefore(deadline, "the condition should hold within a minute; " + state?.Invoke());
            await Task.Delay(100);
        }
    }

    internal static async Task<string> DeployerTokenAsync(TestPlatform platform, string app)
    {
        var made = await platform.CliAsync("tokens", "create", "--name", "push", "--app", app, "--role", "deployer", "--json");
        made.ExitCode.Should().Be(0, made.ToString());
        return JsonDocument.Parse(made.Out).RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>A dependency-free Node app that answers its version (a file of the commit) in X-App-Version.</summary>
    internal static void WriteApp(GitRepo repo, string version, string? build = null)
    {
        repo.Write("VERSION", version + "\n");
        repo.Write("server.js", """
            const http = require('http');
            const version = require('fs').readFileSync('VERSION', 'utf8').trim();
            const server = http.createServer((req, res) => {
              res.setHeader('X-App-Version', version);
              res.setHeader('X-Greeting', process.env.GREETING || 'none');
              res.setHeader('X-Secrets', [process.env.API_KEY, process.env.SHARED_KEY].filter(Boolean).join(',') || 'none');
              res.end('ok');
            });
            server.listen(process.env.PORT, process.env.HOST);
            process.on('SIGTERM', () => server.close(() => process.exit(0)));
            """);
        var buildLine = build is null ? "" : $", \"build\": {JsonSerializer.Serialize(build)}";
        repo.Write("slipway.json", "{ \"services\": { \"web\": { \"start\": \"node server.js\"" + buildLine + " } } }");
    }
}
