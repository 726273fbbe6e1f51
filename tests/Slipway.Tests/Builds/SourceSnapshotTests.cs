using Slipway.Builds;
using Slipway.Tests.Support;

namespace Slipway.Tests.Builds;

public sealed class SourceSnapshotTests : IDisposable
{
    private readonly string _dir = TempDirs.Create("snapshot");

    private string Source => Path.Combine(_dir, "source");
    private string Destination => Path.Combine(_dir, "build");

    public void Dispose() => TempDirs.Delete(_dir);

    [Fact]
    public async Task A_directory_outside_git_is_copied_without_git_node_modules_and_slipway_folders()
    {
        Write("package.json", "{}");
        Write("src/index.js", "main()");
        Write(".env.example", "A=1");
        Write("node_modules/dep/index.js", "dep");
        Write("src/node_modules/nested/index.js", "nested");
        Write(".git/config", "not a real repository");
        Write(".slipway/state", "x");

        var commit = await SourceSnapshot.CopyLocalAsync(Source, Destination, CancellationToken.None);

        commit.Should().BeNull();
        Files(Destination).Should().BeEquivalentTo("package.json", "src/index.js", ".env.example");
        File.ReadAllText(Path.Combine(Destination, "src/index.js")).Should().Be("main()");
    }

    [Fact]
    public async Task A_git_work_tree_honours_gitignore_and_includes_untracked_files()
    {
        var repo = GitRepo.Init(Source);
        repo.Write(".gitignore", "dist/\n*.log\n");
        repo.Write("app.js", "app");
        repo.Write("src/lib.js", "lib");
        repo.Commit("first");
        repo.Write("new.js", "untracked, not ignored");
        repo.Write("dist/bundle.js", "ignored");
        repo.Write("debug.log", "ignored");
        repo.Write("node_modules/dep/index.js", "never copied");

        await SourceSnapshot.CopyLocalAsync(Source, Destination, CancellationToken.None);

        Files(Destination).Should().BeEquivalentTo(".gitignore", "app.js", "src/lib.js", "new.js");
    }

    [Fact]
    public async Task A_clean_work_tree_gives_its_short_commit()
    {
        var repo = GitRepo.Init(Source);
        repo.Write("app.js", "v1");
        repo.Commit("first");

        var commit = await SourceSnapshot.CopyLocalAsync(Source, Destination, CancellationToken.None);

        commit!.Sha.Should().Be(repo.Git("rev-parse", "--short=12", "HEAD"));
        commit.Sha.Should().HaveLength(12);
    }

    [Fact]
    public async Task A_modified_work_tree_gives_the_commit_with_dirty_and_copies_the_working_copy()
    {
        var repo = GitRepo.Init(Source);
        repo.Write("app.js", "committed");
        repo.Write("gone.js", "deleted after commit");
        repo.Commit("first");
        repo.Write("app.js", "edited");
        File.Delete(Path.Combine(Source, "gone.js"));

        var commit = await SourceSnapshot.CopyLocalAsync(Source, Destination, CancellationToken.None);

        commit!.Sha.Should().Be(repo.Git("rev-parse", "--short=12", "HEAD") + "-dirty");
        File.ReadAllText(Path.Combine(Destination, "app.js")).Should().Be("edited");
        Files(Destination).Should().Equal("app.js");
    }

    [Fact]
    public async Task An_app_in_a_subdirectory_of_a_repository_gets_only_its_own_files_and_state()
    {
        var repo = GitRepo.Init(Source);
        repo.Write("apps/web/server.js", "web");
        repo.Write("apps/web/lib/util.js", "util");
        repo.Write("apps/api/server.js", "api");
        repo.Write("README.md", "root");
        repo.Commit("monorepo");
        repo.Write("apps/api/server.js", "edited elsewhere");

        var commit = await SourceSnapshot.CopyLocalAsync(Path.Combine(Source, "apps", "web"), Destination, CancellationToken.None);

        Files(Destination).Should().BeEquivalentTo("server.js", "lib/util.js");
        commit!.Sha.Should().Be(repo.Git("rev-parse", "--short=12", "HEAD"), "a change outside the app does not make it dirty");
    }

    [Fact]
    public async Task The_files_of_a_checked_out_submodule_are_included()
    {
        var library = GitRepo.Init(Path.Combine(_dir, "library"));
        library.Write("index.js", "library code");
        library.Commit("library");
        var repo = GitRepo.Init(Source);
        repo.Write("app.js", "app");
        repo.Git("-c", "protocol.file.allow=always", "submodule", "--quiet", "add", "file://" + library.Dir, "vendor/library");
        repo.Commit("with submodule");

        await SourceSnapshot.CopyLocalAsync(Source, Destination, CancellationToken.None);

        Files(Destination).Should().Contain("vendor/library/index.js");
    }

    [Fact]
    public async Task A_git_url_is_cloned_at_a_branch_a_tag_or_a_commit()
    {
        var (url, commits) = MakeHistory();

        (await CloneVersionAsync(url, "feature")).Should().Be("feature");
        (await CloneVersionAsync(url, "v1")).Should().Be("1");
        (await CloneVersionAsync(url, commits["1"])).Should().Be("1");
        (await CloneVersionAsync(url, commits["1"][..10])).Should().Be("1");
        (await CloneVersionAsync(url, null)).Should().Be("2");
    }

    [Fact]
    public async Task A_clone_returns_the_short_commit_and_leaves_no_git_data_behind()
    {
        var (url, commits) = MakeHistory();
        var log = new List<string>();

        var commit = await SourceSnapshot.CloneAsync(url, "v1", Destination, log.Add, CancellationToken.None);

        commit.Sha.Should().Be(commits["1"][..12]);
        commit.Subject.Should().Be("one", "the first line of the message, for `slipway deployments`");
        commit.Author.Should().MatchRegex(".+ <.+>");
        Files(Destination).Should().BeEquivalentTo("VERSION", "app.js");
        Directory.Exists(Destination + ".git-checkout").Should().BeFalse();
        log.Should().Contain($"cloning {url} at v1");
    }

    [Fact]
    public async Task A_ref_that_does_not_exist_is_a_user_error_naming_the_ref()
    {
        var (url, _) = MakeHistory();

        var act = () => SourceSnapshot.CloneAsync(url, "no-such-branch", Destination, _ => { }, CancellationToken.None);

        (await act.Should().ThrowAsync<UserException>()).Which.Message.Should().Contain("'no-such-branch'").And.Contain(url);
        Directory.Exists(Destination + ".git-checkout").Should().BeFalse();
    }

    [Fact]
    public async Task A_repository_that_does_not_exist_is_a_user_error_naming_the_url()
    {
        var url = "file://" + Path.Combine(_dir, "missing");

        var act = () => SourceSnapshot.CloneAsync(url, null, Destination, _ => { }, CancellationToken.None);

        (await act.Should().ThrowAsync<UserException>()).Which.Message.Should().Contain($"git clone {url} failed");
    }

    /// <summary>main: "1" (tagged v1) then "2"; branch feature off "1": "feature".</summary>
    private (string Url, Dictionary<string, string> Commits) MakeHistory()
    {
        var repo = GitRepo.Init(Source);
        var commits = new Dictionary<string, string>();
        repo.Write("app.js", "app");
        repo.Write("VERSION", "1");
        commits["1"] = repo.Commit("one");
        repo.Git("tag", "v1");
        repo.Git("checkout", "--quiet", "-b", "feature");
        repo.Write("VERSION", "feature");
        commits["feature"] = repo.Commit("feature");
        repo.Git("checkout", "--quiet", "main");
        repo.Write("VERSION", "2");
        commits["2"] = repo.Commit("two");
        return ("file://" + Source, commits);
    }

    private async Task<string> CloneVersionAsync(string url, string? gitRef)
    {
        var destination = Path.Combine(_dir, "clone-" + Guid.NewGuid().ToString("N"));
        await SourceSnapshot.CloneAsync(url, gitRef, destination, _ => { }, CancellationToken.None);
        return File.ReadAllText(Path.Combine(destination, "VERSION"));
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(Source, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static List<string> Files(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    [Theory]
    [InlineData("https://github.com/acme/shop.git", true)]
    [InlineData("ssh://git@github.com/acme/shop.git", true)]
    [InlineData("git@github.com:acme/shop.git", true)]
    [InlineData("file:///var/lib/slipway/git/billing.git", false)]
    [InlineData("/var/lib/slipway/git/billing.git", false)]
    [InlineData("--upload-pack=touch /tmp/x://", false)]
    [InlineData("git@github.com:--upload-pack=x", false)]
    [InlineData("ext::sh -c touch% /tmp/pwned", false)]
    public void Only_network_urls_are_deployable_from_elsewhere(string source, bool network) =>
        SourceSnapshot.IsNetworkGitUrl(source).Should().Be(network);

    [Fact]
    public async Task A_ref_that_would_read_as_an_option_is_refused_before_git_runs()
    {
        var act = () => SourceSnapshot.CloneAsync("https://example.invalid/x.git", "--upload-pack=touch /tmp/pwned", Destination, _ => { }, CancellationToken.None);
        (await act.Should().ThrowAsync<UserException>()).Which.Message.Should().Contain("is not a git ref");
    }
}
