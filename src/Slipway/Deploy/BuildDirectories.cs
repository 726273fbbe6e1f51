using Slipway.State;

namespace Slipway.Deploy;

/// <summary>Build directories on disk: pruning to the last N builds that went live, and removing what a
/// crash left behind. A build is renamed out of the way before it is marked pruned and deleted, so a crash
/// mid-delete never leaves a half-deleted directory under a name a rollback would trust.</summary>
internal sealed class BuildDirectories(Store store, DeployOptions options)
{
    private const string DeletingSuffix = ".deleting";

    public string PathFor(string app, string buildId) => Path.Combine(options.BuildsDir, app, buildId);

    /// <summary>Where a build is now: derived from today's data directory, not the path recorded when it was
    /// made (the data directory may be reached by another spelling since).</summary>
    public string DirOf(BuildRecord build) => PathFor(build.App, build.Id);

    /// <summary>The pristine source a build started from (its snapshot before install and build ran), kept
    /// so a build-time config change can rebuild exactly that source.</summary>
    public string SourceOf(BuildRecord build) => DirOf(build) + SourceSuffix;

    public const string SourceSuffix = ".src";

    /// <summary>Whether <paramref name="build"/> can run again: not pruned, and its directory is there.</summary>
    public bool IsUsable(BuildRecord build) => build.Pruned == 0 && Directory.Exists(DirOf(build));

    public void Prune(string app)
    {
        // A build promoted to another environment is kept while that environment still uses it.
        var keep = (store.FindApp(app) is { } record ? store.ListEnvironments(record.App).Select(e => e.Name) : [app])
            .Append(app).Distinct()
            .SelectMany(key => KeptBy(key))
            .ToHashSet();
        foreach (var build in store.ListBuilds(app).Where(b => b.Pruned == 0 && !keep.Contains(b.Id)))
        {
            var doomed = MoveAside(DirOf(build));
            var doomedSource = MoveAside(SourceOf(build));
            store.MarkBuildPruned(build.Id);
            Delete(doomed);
            Delete(doomedSource);
        }
    }

    private HashSet<string> KeptBy(string app)
    {
        var keep = store.ListDeployments(app, 100_000)
            .Where(d => d.LiveAt is not null && d.BuildId is not null)
            .OrderByDescending(d => d.LiveAt)
            .Select(d => d.BuildId!)
            .Distinct()
            .Take(options.KeepBuilds)
            .ToHashSet();
        if (store.FindApp(app)?.LiveDeploymentId is { } liveId && store.FindDeployment(liveId)?.BuildId is { } live)
        {
            keep.Add(live);
        }
        return keep;
    }

    /// <summary>Deletes a build directory that never made it into the store (failed or cancelled snapshot).</summary>
    public void Discard(string dir)
    {
        Delete(MoveAside(dir));
        Delete(MoveAside(dir + SourceSuffix));
    }

    public void DeleteApp(string app) => Delete(Path.Combine(options.BuildsDir, app));

    /// <summary>At start-up: directories no build record points at (a snapshot interrupted by a crash, a
    /// delete that did not finish) are removed.</summary>
    public void RemoveOrphans()
    {
        if (!Directory.Exists(options.BuildsDir))
        {
            return;
        }
        // By name (APP/BUILD-ID), never by full path: the same data directory reached through another
        // spelling (a symlink, a changed $HOME) must not make every build look like an orphan.
        var known = store.ListApps()
            .SelectMany(a => store.ListBuilds(a.Name).Where(b => b.Pruned == 0)
                .SelectMany(b => new[] { $"{a.Name}/{b.Id}", $"{a.Name}/{b.Id}{SourceSuffix}" }))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var appDir in Directory.GetDirectories(options.BuildsDir))
        {
            foreach (var dir in Directory.GetDirectories(appDir))
            {
                if (!known.Contains($"{Path.GetFileName(appDir)}/{Path.GetFileName(dir)}"))
                {
                    Delete(dir);
                }
            }
        }
    }

    private static string MoveAside(string dir)
    {
        if (!Directory.Exists(dir))
        {
            return dir;
        }
        var aside = dir + DeletingSuffix;
        try
        {
            Directory.Move(dir, aside);
            return aside;
        }
        catch (IOException)
        {
            return dir;
        }
    }

    private static void Delete(string dir)
    {
        if (!TryDelete(dir))
        {
            // Instances of the build that are still stopping may write into it ("directory not empty"): try
            // again once they are gone; whatever still fails is left for RemoveOrphans at the next start.
            _ = Task.Run(async () =>
            {
                foreach (var wait in (int[])[2, 10, 60])
                {
                    await Task.Delay(TimeSpan.FromSeconds(wait));
                    if (TryDelete(dir))
                    {
                        return;
                    }
                }
            });
        }
    }

    private static bool TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
