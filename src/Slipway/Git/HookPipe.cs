using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Slipway.Git;

/// <summary>How one push's pre-receive hook and the platform talk: two FIFOs in a directory of their own (0700, named in
/// the hook's environment as SLIPWAY_PUSH_DIR). The hook writes the push to "request" and prints every line the
/// platform writes to "answer" until a verdict line; a shell script suffices on that side, so the hook needs no
/// program of ours and no network.
///
///   hook: request ◄── "quarantine Q" / "OLD NEW REF"… / "end"          platform reads, decides, deploys
///   hook: answer  ──► "> line" (printed as "remote: line") … "ok" | "refuse"
///
/// Opening a FIFO blocks until the other side opens it, so each open races git's exit: when git ends without
/// running the hook (nothing to update, a broken pack), the platform opens the other side itself to let go.</summary>
internal sealed class HookPipe : IDisposable
{
    private FileStream? _answer;

    private HookPipe(string dir) => Dir = dir;

    public string Dir { get; }

    private string RequestPath => Path.Combine(Dir, "request");

    private string AnswerPath => Path.Combine(Dir, "answer");

    /// <summary>False once the hook is gone (the pusher went away): nothing more reaches them.</summary>
    public bool Listening { get; private set; } = true;

    public static HookPipe Create(string runDir)
    {
        Directory.CreateDirectory(runDir);
        var dir = Path.Combine(runDir, State.Ids.New("push"));
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var pipe = new HookPipe(dir);
        foreach (var fifo in (string[])[pipe.RequestPath, pipe.AnswerPath])
        {
            try
            {
                Fifos.Make(fifo, "the push pipe");
            }
            catch (IOException)
            {
                pipe.Dispose();
                throw;
            }
        }
        return pipe;
    }

    /// <summary>Whether the hook ran (false: git ended without running it), and the push it handed over (null when
    /// what it wrote cannot be read as one: the hook stopped mid-way, or a stranger wrote it).</summary>
    public async Task<(bool HookRan, PushRequest? Request)> ReadRequestAsync(Task backendExited)
    {
        using var handle = await OpenAsync(RequestPath, ORdOnly, backendExited, OWrOnly);
        if (handle is null)
        {
            return (false, null);
        }
        await using var stream = new FileStream(handle, FileAccess.Read, 1);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return (true, PushRequest.Parse(await reader.ReadToEndAsync(CancellationToken.None)));
    }

    /// <summary>Opens the answer side; false when the hook went away first.</summary>
    public async Task<bool> OpenAnswerAsync(Task backendExited)
    {
        var handle = await OpenAsync(AnswerPath, OWrOnly, backendExited, ORdOnly);
        if (handle is null)
        {
            Listening = false;
            return false;
        }
        _answer = new FileStream(handle, FileAccess.Write, 1);
        return true;
    }

    /// <summary>A line for the pusher's terminal (git prefixes it with "remote: ").</summary>
    public Task SayAsync(string line) => WriteAsync("> " + line.ReplaceLineEndings(" "));

    /// <summary>The verdict: git updates the refs only after "ok".</summary>
    public Task DecideAsync(bool accept) => WriteAsync(accept ? "ok" : "refuse");

    private async Task WriteAsync(string line)
    {
        if (_answer is null || !Listening)
        {
            return;
        }
        try
        {
            await _answer.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
            await _answer.FlushAsync();
        }
        catch (IOException)
        {
            Listening = false; // EPIPE: the hook, and with it the pusher, is gone
        }
    }

    /// <summary>Opens <paramref name="path"/> (blocking until the hook opens its side), or, once git has exited, opens
    /// the other side itself so the blocked open returns; then answers null for a side nobody will use.</summary>
    private static async Task<SafeFileHandle?> OpenAsync(string path, int flags, Task backendExited, int otherSide)
    {
        // open() of a FIFO blocks its thread until the other side opens: a thread of its own, never one of the pool's
        // (pushes waiting on slow hooks must not starve requests). PushSlots bounds how many there are.
        var opening = Task.Factory.StartNew(() => Open(path, flags | OCloExec), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (await Task.WhenAny(opening, backendExited) != opening)
        {
            while (!opening.IsCompleted)
            {
                // Fails (ENXIO) until our own open has started waiting for a reader; then lets it return.
                var fd = Fifos.Open(path, otherSide | ONonBlock | OCloExec);
                if (fd >= 0)
                {
                    _ = Fifos.Close(fd);
                }
                await Task.WhenAny(opening, Task.Delay(10));
            }
            (await opening)?.Dispose();
            return null;
        }
        return await opening;
    }

    private static SafeFileHandle? Open(string path, int flags)
    {
        var fd = Fifos.Open(path, flags);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    public void Dispose()
    {
        try
        {
            _answer?.Dispose();
        }
        catch (IOException)
        {
        }
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private const int ORdOnly = Fifos.ReadOnly, OWrOnly = Fifos.WriteOnly, ONonBlock = Fifos.NonBlocking, OCloExec = Fifos.CloseOnExec;
}
