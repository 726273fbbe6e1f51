using Slipway.Access;

namespace Slipway.Git;

/// <summary>One receive-pack request: the pipe its hook talks through, the git settings and environment git runs
/// with, and the app's push turn once taken (held until git has moved the refs, so the next push sees them).</summary>
internal sealed class PushSession : IAsyncDisposable
{
    private readonly Pushes _pushes;
    private SemaphoreSlim? _turn;

    public PushSession(Pushes pushes, GitRemoteRecord remote, Principal pusher, HookPipe pipe, string hooksDir)
    {
        _pushes = pushes;
        Remote = remote;
        Pusher = pusher;
        Pipe = pipe;
        Settings = Pushes.Settings(remote, hooksDir, push: true);
        Environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["SLIPWAY_PUSH_DIR"] = pipe.Dir };
    }

    public GitRemoteRecord Remote { get; }

    public Principal Pusher { get; }

    public HookPipe Pipe { get; }

    /// <summary>The git config this push runs with (GIT_CONFIG_* entries).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>What the hook finds in its environment: where its pipe is.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>The directory the pushed tree is exported to (deleted with the session).</summary>
    public string TreeDir => Path.Combine(Pipe.Dir, "tree");

    /// <summary>Talks with the hook while git runs: reads the push, decides it (deploying what it deploys), answers.
    /// Ends at once when git exits without running the hook.</summary>
    public async Task RunAsync(Task backendExited, CancellationToken token)
    {
        var (hookRan, request) = await Pipe.ReadRequestAsync(backendExited);
        if (!hookRan || !await Pipe.OpenAnswerAsync(backendExited))
        {
            return;
        }
        var accept = false;
        try
        {
            if (request is null)
            {
                // The hook waits for a verdict whatever it wrote: always answer, or git would hang until the pusher gives up.
                await Pipe.SayAsync("error: the push could not be read from git's hook (it stopped mid-way). Nothing was updated; push again.");
            }
            else
            {
                accept = await _pushes.DecideAsync(this, request, token);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _pushes.Bug(Remote.App, e);
            await Pipe.SayAsync("error: the platform failed to handle this push (an internal error; details in the platform log). Nothing was updated.");
        }
        finally
        {
            await Pipe.DecideAsync(accept);
        }
    }

    /// <summary>Takes the app's push turn, saying so when another push has it.</summary>
    public async Task TakeTurnAsync(SemaphoreSlim turn, CancellationToken token)
    {
        if (!await turn.WaitAsync(0, token))
        {
            await Pipe.SayAsync($"waiting: another push to {Remote.App} is deploying (one push at a time per app)");
            await turn.WaitAsync(token);
        }
        _turn = turn;
    }

    public ValueTask DisposeAsync()
    {
        _turn?.Release();
        _turn = null;
        Pipe.Dispose();
        return ValueTask.CompletedTask;
    }
}
