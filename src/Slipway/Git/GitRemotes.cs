using Slipway.Deploy;

namespace Slipway.Git;

/// <summary>The apps' git remotes: a bare repository per app (DATA/git/APP.git, created by `slipway git create`) and
/// the rules saying which branch deploys to which environment.</summary>
internal sealed class GitRemotes(GitOptions options, GitStore store, Config.Keyring keyring)
{
    /// <summary>Connects the remote to its repository on a forge: a new webhook secret (returned once, for the forge's
    /// webhook settings), the repository's HTTPS URL, and the token that reads it (and later posts statuses).</summary>
    public (ForgeLink Link, string Secret) Connect(string app, Forges.Forge forge, string repoUrl, string? apiBase, string? token)
    {
        Require(app);
        if (!Uri.TryCreate(repoUrl, UriKind.Absolute, out var repo) || repo.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(repo.UserInfo))
        {
            throw new UserException($"--repo '{repoUrl}' is not the repository's HTTPS URL: give it as the forge shows it for cloning, like " +
                "https://github.com/acme/shop.git, with no user or token in it (the token is read from stdin with --token-stdin).");
        }
        if (apiBase is not null && (!Uri.TryCreate(apiBase, UriKind.Absolute, out var api) || api.Scheme is not ("https" or "http")))
        {
            throw new UserException($"--api-url '{apiBase}' is not a URL: give the forge's API base, like https://github.example.com/api/v3.");
        }
        if (store.Link(app) is { } before && (before.Forge != forge || before.RepoUrl != repoUrl) && store.Previews(app) is { Count: > 0 } previews)
        {
            // Their pull request numbers belong to the repository connected before: the next repository's #N is
            // another pull request, which must not be deployed into (or removed with) the old one's environment.
            throw new UserException($"{app} has previews of pull requests of {before.RepoUrl} ({string.Join(", ", previews.Select(p => "#" + p.Number))}); " +
                $"remove them before connecting another repository: {string.Join("; ", previews.Select(p => $"slipway previews rm {p.Number} --app {app}"))}", 409);
        }
        var secret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var link = new ForgeLink(forge, repoUrl, keyring.Encrypt(secret), string.IsNullOrWhiteSpace(token) ? null : keyring.Encrypt(token.Trim()), apiBase?.TrimEnd('/'));
        store.Connect(app, link);
        return (link, secret);
    }

    public ForgeLink? Link(string app) => store.Link(app);

    public void Disconnect(string app)
    {
        Require(app);
        if (!store.Disconnect(app))
        {
            throw new UserException($"{app}'s remote is not connected to a forge.", 404);
        }
    }

    public IReadOnlyList<DeliveryRecord> Deliveries(string app, int limit)
    {
        Require(app);
        return store.Deliveries(app, Math.Clamp(limit, 1, GitStore.KeptDeliveries));
    }

    /// <summary>Creates the remote (deploying main to production and staging to staging), or sets whether force pushes
    /// are allowed when it exists. Returns whether it was created.</summary>
    public async Task<(GitRemoteRecord Remote, bool Created)> CreateAsync(string app, bool allowForce, CancellationToken token)
    {
        AppNames.Validate(app);
        var repo = options.RepoOf(app);
        if (!File.Exists(Path.Combine(repo, "HEAD")))
        {
            Directory.CreateDirectory(options.ReposDir);
            var init = await GitProcess.RunAsync(options.ReposDir, [], token, "init", "--quiet", "--bare", "--initial-branch=main", repo);
            if (init.Code != 0)
            {
                throw new InvalidOperationException($"git init --bare {repo} failed: {init.Errors}");
            }
        }
        var created = store.Upsert(app, allowForce, BranchMap.Defaults);
        return (store.Find(app)!, created);
    }

    public GitRemoteRecord? Find(string app) => store.Find(app);

    public IReadOnlyList<GitRemoteRecord> List() => store.List();

    public IReadOnlyList<BranchRule> Rules(string app) => store.Rules(app);

    /// <summary>The remote of <paramref name="app"/>, or a 404 that says how to make it.</summary>
    public GitRemoteRecord Require(string app) => store.Find(app) ?? throw new UserException(NoRemote(app), 404);

    public static string NoRemote(string app) =>
        $"{app} has no git remote on this platform. Create it with: slipway git create {app} " +
        "(a push of main then deploys to production, of staging to staging).";

    /// <summary>Removes the remote and its repository (the apps it deployed keep running).</summary>
    public void Remove(string app)
    {
        Require(app);
        // A preview's row is what says a fork's preview gets no secrets: it must not outlive the remote's rows.
        if (store.Previews(app) is { Count: > 0 } previews)
        {
            throw new UserException($"{app} has {previews.Count} preview(s) ({string.Join(", ", previews.Select(p => p.Env.Env))}): remove them first, " +
                $"like: slipway previews rm {previews[0].Number} --app {app}", 409);
        }
        store.Delete(app);
        DeleteRepository(app);
    }

    public BranchRule Map(string app, string pattern, string env)
    {
        Require(app);
        BranchMap.Validate(pattern);
        var rule = new BranchRule(pattern, AppRef.Of(app, env).Env);
        store.Map(app, rule);
        return rule;
    }

    public void Unmap(string app, string pattern)
    {
        Require(app);
        if (!store.Unmap(app, pattern))
        {
            throw new UserException($"{app}'s remote has no rule for '{pattern}'; its rules: {BranchMap.Describe(store.Rules(app))}.", 404);
        }
    }

    /// <summary>Repositories whose remote is gone (its app was destroyed): removed at start.</summary>
    public void RemoveOrphans()
    {
        if (!Directory.Exists(options.ReposDir))
        {
            return;
        }
        var known = store.List().Select(r => r.App + ".git").ToHashSet(StringComparer.Ordinal);
        foreach (var dir in Directory.EnumerateDirectories(options.ReposDir, "*.git"))
        {
            if (!known.Contains(Path.GetFileName(dir)))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private void DeleteRepository(string app)
    {
        var repo = options.RepoOf(app);
        if (Directory.Exists(repo))
        {
            Directory.Delete(repo, recursive: true);
        }
    }
}
