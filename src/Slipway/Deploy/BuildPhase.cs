using System.Text.Json;
using Slipway.Builds;
using Slipway.Manifests;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>building: the source snapshot, the manifest (read once, from the snapshot), the config (prepared,
/// checked and sealed once), then install and build. Ends with the release that the rest of the deployment runs.
///
///   snapshot ─► DATA/builds/APP/ID (+ ID.src, pristine) ─► manifest ─► databases ─► config checked + sealed
///            ─► IBuildOutputs.Prepare ─► install + build ─► IBuildOutputs.Collect
/// </summary>
internal sealed class BuildPhase(
    Store store,
    BuildDirectories builds,
    Builder builder,
    DeployConfig config,
    DeploymentJournal journal,
    AppIsolation isolation,
    TimeProvider clock,
    IEnumerable<IBuildVariables> buildVariables,
    IEnumerable<IBuildOutputs> buildOutputs)
{
    public async Task<Release> RunAsync(DeploymentRecord deployment, DeployRequest request, CancellationToken token)
    {
        journal.Status(deployment, DeploymentStatus.Building, "building");
        var buildId = Ids.New("b");
        var buildDir = builds.PathFor(request.Target.Key, buildId);
        var commit = await SnapshotAsync(deployment, request, buildDir, token);
        // Keep the source as it was before install and build touch it, for rebuilds.
        await SourceSnapshot.CopyLocalAsync(buildDir, buildDir + BuildDirectories.SourceSuffix, token);
        isolation.GiveBuild(request.Target.Key, buildDir);
        store.InsertBuild(new BuildRecord(buildId, request.Target.Key, buildDir, request.Source, commit?.Sha, clock.GetUtcNow(), 0,
            commit?.Subject, commit?.Author));

        var spec = request.Spec ?? ReadManifest(deployment, buildDir);
        isolation.CheckVolumes(spec);
        journal.Log(deployment, "build", $"{spec.Origin}: {string.Join(", ", spec.Services.Select(s => $"{s.Name} ({s.Type.ToString().ToLowerInvariant()})"))}");
        var snapshot = request.CheckedConfig ?? await config.PrepareAsync(request.Target, spec,
            line => journal.Log(deployment, "databases", line), token);
        var (sealedConfig, fingerprint) = config.Seal(snapshot);
        store.SetDeploymentBuild(deployment.Id, buildId, JsonSerializer.Serialize(spec, Release.Json), sealedConfig, fingerprint, commit);

        // Builds get the non-secret config only: a secret must never be inlined into a browser bundle.
        var buildConfig = snapshot.Vars.Where(kv => !snapshot.Secrets.Contains(kv.Key)).ToDictionary();
        var cacheDir = isolation.CacheDirOf(request.Target.Key);
        var buildEnvironment = RuntimeEnvironment.ForBuild(request.Target.Key, cacheDir, buildConfig, isolation.Variables(request.Target.Key));
        var release = commit?.Sha is { Length: >= 12 } sha ? sha[..12] : buildId;
        foreach (var variables in buildVariables)
        {
            variables.AddTo(request.Target, release, spec, buildEnvironment);
        }
        void BuildLog(string line) => journal.Log(deployment, "build", line);
        foreach (var outputs in buildOutputs)
        {
            outputs.Prepare(request.Target, spec, buildDir, BuildLog);
        }
        var built = await builder.BuildAsync(request.Target.Key, deployment.Id, spec, buildDir, buildEnvironment,
            new BuildConfinement(isolation.ForBuild(request.Target.Key, buildDir, spec.Deploy.BuildMemoryBytes), cacheDir), token);
        token.ThrowIfCancellationRequested();
        if (!built.Ok)
        {
            throw new DeployFailure(built.Step, built.Error, built.LastLines);
        }
        foreach (var outputs in buildOutputs)
        {
            outputs.Collect(request.Target, release, spec, buildDir, BuildLog);
        }
        return ReleasePlanner.Deploy(request.Target.Key, deployment.Id, buildDir, spec, snapshot, request.Hosts);
    }

    /// <summary>Copies or clones the source into <paramref name="buildDir"/>; returns its commit, if any.</summary>
    private async Task<CommitInfo?> SnapshotAsync(DeploymentRecord deployment, DeployRequest request, string buildDir, CancellationToken token)
    {
        try
        {
            if (request.FromBuild is { } earlier)
            {
                journal.Log(deployment, "build", $"rebuilding the source of build {earlier.Id} ({request.Source})");
                if (!Directory.Exists(builds.SourceOf(earlier)))
                {
                    // Pruned while this waited for the app's lock (another deployment went live meanwhile).
                    throw new UserException($"the source of build {earlier.Id} is no longer kept (pruned since this was asked for); deploy the source again");
                }
                await SourceSnapshot.CopyLocalAsync(builds.SourceOf(earlier), buildDir, token);
                return earlier.Commit;
            }
            if (SourceSnapshot.IsGitUrl(request.Source) || request.Ref is not null)
            {
                return await SourceSnapshot.CloneAsync(request.Source, request.Ref, buildDir, line => journal.Log(deployment, "build", line), token,
                    request.GitAuthorization);
            }
            journal.Log(deployment, "build", $"copying source from {request.Source}");
            // A push arrives as an exported tree, no git work tree: the commit comes with the request.
            return await SourceSnapshot.CopyLocalAsync(request.Source, buildDir, token) ?? request.Commit;
        }
        catch (Exception e)
        {
            builds.Discard(buildDir);
            if (e is UserException)
            {
                throw new DeployFailure("build", e.Message, []);
            }
            throw;
        }
    }

    private AppSpec ReadManifest(DeploymentRecord deployment, string buildDir)
    {
        switch (ManifestLoader.Load(buildDir))
        {
            case ManifestResult.Ok ok:
                foreach (var warning in ok.Warnings)
                {
                    journal.Log(deployment, "build", "warning: " + warning);
                }
                return ok.Spec;
            case ManifestResult.Invalid invalid:
                throw new DeployFailure("manifest", invalid.Message, []);
            default:
                throw new InvalidOperationException("a manifest is either valid or invalid");
        }
    }
}
