using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Slipway.Access;
using Slipway.Deploy;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Git;

/// <summary>`git push slipway main`: git's receive-pack takes the objects into quarantine and runs the pre-receive
/// hook, which hands the push here. The push is decided, and deployed, before any ref moves:
///
///   refs ─► each: tag (stored) / branch → its rule → environment → may the pusher deploy it? ─► one deploying branch
///        ─► the app's push turn ─► fast-forward (or the remote allows force) ─► export the commit from quarantine
///        ─► DeployEngine (the usual queue, build, release, health gate) ─► its log, line by line, to the pusher
///        ─► live: "ok" (git moves the branch) │ anything else: "refuse" (the branch stays, the live version serves)
///
/// A pusher who goes away (Ctrl-C) takes the push with them: the deployment is cancelled.</summary>
internal sealed partial class Pushes(GitOptions options, GitStore remotes, DeployEngine engine, Store store, LogStore logs, ILogger<Pushes> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _turns = new(StringComparer.Ordinal);
    private readonly PushSlots _slots = new();

    /// <summary>The largest pack a push may send (receive.maxInputSize): as much as a source may unpack to.</summary>
    public const long MaxPack = Builds.SourceArchive.MaxUnpacked;

    /// <summary>A place among the pushes open now (dispose to leave it), or null with why there is none.</summary>
    public IDisposable? TryEnter(string app, out string? refusal) => _slots.TryEnter(app, out refusal);

    /// <summary>Why a push to <paramref name="app"/> would find no place now, or null when it would.</summary>
    public string? Full(string app) => _slots.Full(app);

    public PushSession Begin(GitRemoteRecord remote, Principal pusher) =>
        new(this, remote, pusher, HookPipe.Create(options.RunDir), options.HooksDir);

    /// <summary>The git config a request to <paramref name="remote"/> runs with.</summary>
    public IReadOnlyDictionary<string, string> SettingsFor(GitRemoteRecord remote, bool push) => Settings(remote, options.HooksDir, push);

    internal static IReadOnlyDictionary<string, string> Settings(GitRemoteRecord remote, string hooksDir, bool push) =>
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // The platform's hook, whatever a repository holds.
            ["core.hooksPath"] = hooksDir,
            // Only through a push session (whose hook has a pipe to talk to) may receive-pack run.
            ["http.receivepack"] = push ? "true" : "false",
            ["receive.denyNonFastForwards"] = remote.AllowForce ? "false" : "true",
            ["receive.advertisePushOptions"] = "false",
            // git refuses a larger pack as it arrives, before it fills the disk.
            ["receive.maxInputSize"] = MaxPack.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

    /// <summary>Why <paramref name="pusher"/> may not push to <paramref name="app"/>'s remote at all, or null when they may: any
    /// push takes the right to deploy at least one of its environments. Asked before a pack is received, and again by the hook.</summary>
    public string? MayNotPush(string app, Access.Principal pusher) =>
        remotes.Rules(app).Select(r => AppRef.Of(app, r.Env)).Append(AppRef.Of(app)).Any(env => pusher.Can(Permission.Deploy, env))
            ? null
            : $"{pusher.Name} may read {app}'s repository but not push to it: that needs deployer of {app} or of an environment " +
              $"a branch deploys to. An admin can grant it: slipway users role NAME deployer --app {app}";

    /// <summary>Decides one push; true lets git update its refs.</summary>
    internal async Task<bool> DecideAsync(PushSession session, PushRequest request, CancellationToken token)
    {
        var app = session.Remote.App;
        var say = session.Pipe.SayAsync;
        var rules = remotes.Rules(app);
        var refusals = new List<string>();
        // Storing anything (a tag, deleting an old branch) takes the right to deploy at least one of the app's environments.
        if (MayNotPush(app, session.Pusher) is { } refused)
        {
            await say("error: " + refused);
            await say("Nothing was deployed and no branch was updated.");
            return false;
        }
        var deploys = new List<(RefUpdate Update, string Branch, AppRef Target)>();
        foreach (var update in request.Updates)
        {
            if (update.IsTag)
            {
                await say($"{update.Ref}: stored (tags do not deploy)");
                continue;
            }
            if (update.Branch is not { } branch)
            {
                refusals.Add($"{update.Ref}: only branches and tags can be pushed here.");
                continue;
            }
            var rule = BranchMap.Match(branch, rules);
            if (update.IsDelete)
            {
                if (rule is not null)
                {
                    refusals.Add($"deleting {branch} is refused: it deploys to {AppRef.Of(app, rule.Env)}. To stop that first: slipway git unmap {rule.Pattern} --app {app}");
                }
                continue;
            }
            if (rule is null)
            {
                refusals.Add($"{branch} deploys nowhere ({app}: {BranchMap.Describe(rules)}). Map it to an environment first: " +
                    $"slipway git map {branch} ENV --app {app}");
                continue;
            }
            var target = AppRef.Of(app, rule.Env);
            if (!session.Pusher.Can(Permission.Deploy, target))
            {
                refusals.Add($"{session.Pusher.Name} may not deploy {target}, which {branch} deploys to: that needs deployer of {app}" +
                    (target.IsProduction ? "" : $" or of {target}") + ". An admin can grant it: slipway users role NAME deployer " + target.Flags);
                continue;
            }
            deploys.Add((update, branch, target));
        }
        if (deploys.Count > 1)
        {
            refusals.Add($"this push updates {string.Join(" and ", deploys.Select(d => d.Branch))}, which deploy to " +
                $"{string.Join(" and ", deploys.Select(d => d.Target.ToString()))}: push one of them at a time (git push slipway {deploys[0].Branch}).");
        }
        if (refusals.Count > 0)
        {
            foreach (var refusal in refusals)
            {
                await say("error: " + refusal);
            }
            await say("Nothing was deployed and no branch was updated.");
            return false;
        }
        if (deploys.Count == 0)
        {
            return true;
        }
        var (push, pushed, env) = deploys[0];
        await session.TakeTurnAsync(_turns.GetOrAdd(app, _ => new SemaphoreSlim(1, 1)), token);
        var repo = options.RepoOf(app);
        // What the pusher says the branch was is checked against what it is now, in the turn: git itself checks only
        // after the hook, when the deployment would already be live (a push behind another's would undo it).
        var head = await PushedTree.BranchHeadAsync(repo, request.Quarantine, pushed, token);
        if (head != (push.IsCreate ? null : push.Old))
        {
            await say($"error: {pushed} is at {head?[..12] ?? "nothing (it does not exist)"} now, not {(push.IsCreate ? "nothing" : push.Old[..12])} as your " +
                $"push says: another push moved it since you fetched. Pull and push again (git pull slipway {pushed}).");
            return false;
        }
        if (!push.IsCreate && !session.Remote.AllowForce && !await PushedTree.DescendsAsync(repo, request.Quarantine, push.Old, push.New, token))
        {
            await say($"error: {push.New[..12]} does not descend from {pushed}'s {push.Old[..12]}: this is a force push, which would replace " +
                $"the history {env} was deployed from. Pull and merge first (git pull slipway {pushed}), or allow force pushes: slipway git create {app} --allow-force");
            return false;
        }
        var commit = await PushedTree.DescribeAsync(repo, request.Quarantine, push.New, token);
        await say($"deploying {pushed} {commit.Sha}" + (commit.Subject is null ? "" : $" \"{commit.Subject}\"") + $" to {env}");
        try
        {
            await PushedTree.ExportAsync(repo, request.Quarantine, push.New, session.TreeDir, token);
            var deployment = engine.Enqueue(new DeployRequest(env, session.TreeDir) { Commit = commit, Shown = $"git push {pushed}", RequestedBy = session.Pusher.Name });
            var status = await FollowAsync(session, deployment, token);
            if (status == DeploymentStatus.Live)
            {
                return true;
            }
            var record = store.FindDeployment(deployment.Id);
            await say($"error: deployment {deployment.Id} {JsonSpellings.Of(status)}" + (record?.Error is { } error ? $" at {record.Step}: {error}" : "") + ".");
        }
        catch (UserException e)
        {
            await say("error: " + e.Message);
        }
        await say(push.IsCreate
            ? $"The push was refused: {pushed} was not created, and {env} is as it was."
            : $"The push was refused: {pushed} stays at {push.Old[..12]}, and {env} keeps serving its live version.");
        return false;
    }

    /// <summary>The deployment's log to the pusher until it ends; its final status. The pusher leaving cancels it.</summary>
    private async Task<DeploymentStatus> FollowAsync(PushSession session, DeploymentRecord deployment, CancellationToken token)
    {
        var key = LogKeys.Deployment(deployment.App, deployment.Id);
        using var following = CancellationTokenSource.CreateLinkedTokenSource(token);
        try
        {
            var live = logs.Subscribe(key, following.Token);
            var stored = logs.Read(key, cancellationToken: token);
            var seen = stored.ToHashSet();
            foreach (var entry in stored)
            {
                if (await ShowAsync(entry))
                {
                    return Final();
                }
            }
            await foreach (var entry in live.ReadAllAsync(following.Token))
            {
                if (!seen.Contains(entry) && await ShowAsync(entry))
                {
                    return Final();
                }
            }
            return Final();
        }
        catch (OperationCanceledException)
        {
            engine.CancelOne(deployment.Id);
            throw;
        }
        finally
        {
            await following.CancelAsync();
        }

        async Task<bool> ShowAsync(LogEntry entry)
        {
            if (DeployLogLines.Format(entry.Kind, entry.Service, entry.Message) is { } line)
            {
                await session.Pipe.SayAsync(line);
            }
            if (!session.Pipe.Listening && engine.CancelOne(deployment.Id))
            {
                LogPusherLeft(logger, deployment.App, deployment.Id);
            }
            return entry.Kind == "status" && DeploymentStatuses.TerminalSpellings.Contains(entry.Message);
        }

        DeploymentStatus Final() => store.FindDeployment(deployment.Id)?.Status ?? DeploymentStatus.Failed;
    }

    internal void Bug(string app, Exception exception) => LogBug(logger, app, exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A push to {App} failed with an internal error")]
    private static partial void LogBug(ILogger logger, string app, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The pusher of {App} went away: deployment {DeploymentId} is cancelled")]
    private static partial void LogPusherLeft(ILogger logger, string app, string deploymentId);
}
