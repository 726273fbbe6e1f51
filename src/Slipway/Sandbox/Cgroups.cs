using System.Globalization;
using System.Runtime.InteropServices;

namespace Slipway.Sandbox;

/// <summary>The platform's own cgroups, one per confined process tree (an instance, a build step, a job run), under
/// slipway/OWNER in each controller tree so two platforms on one machine never touch each other's. A group is made
/// with its limits before its process starts (the process joins it before it execs the app, so no child escapes)
/// and removed once the process tree is gone; its counters are read while it lives and once at the end.
///
/// A group is also how a tree is found and stopped: a process cannot leave its cgroup (the files are root's, apps run
/// as their own uid), whereas it can leave its process group (setsid) and drop any environment variable. So stop and
/// the start-up sweep go by <see cref="Processes"/>, <see cref="KillAsync"/>, <see cref="Groups"/> and
/// <see cref="GroupOf"/>.</summary>
internal sealed class Cgroups(CgroupLayout layout, string ownerId)
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    // After the grace period: SIGKILL rounds 100 ms apart, each re-reading cgroup.procs (what forked meanwhile).
    private const int KillRounds = 50;
    private static readonly TimeSpan KillRound = TimeSpan.FromMilliseconds(100);

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    public CgroupLayout Layout => layout;

    /// <summary>This platform's part of every controller tree.</summary>
    public string Root => $"slipway/{ownerId[..Math.Min(12, ownerId.Length)]}";

    public string PathOf(string group) => $"{Root}/{group}";

    /// <summary>Makes <paramref name="group"/> with <paramref name="limits"/>; returns the cgroup.procs files the process
    /// joins. Throws <see cref="IOException"/> when the kernel refuses a limit (the process must not run unlimited), or
    /// when the group already holds processes (a name in use by a living tree; launches name theirs by a random launch
    /// key, so this is a bug or a collision, never a tree to join).</summary>
    public IReadOnlyList<string> Create(string group, ResourceLimits limits)
    {
        if (Processes(group) is { Count: > 0 } living)
        {
            throw new IOException($"cgroup {PathOf(group)} already holds processes ({string.Join(", ", living)}); a new process tree needs a group of its own");
        }
        var path = PathOf(group);
        Delegate(path);
        return Make(path, limits);
    }

    private void Delegate(string path)
    {
        foreach (var write in layout.Delegation(path))
        {
            // Each ancestor exists before its subtree_control is written (the first group of a new platform makes them).
            Directory.CreateDirectory(Path.GetDirectoryName(write.File)!);
            Write(write);
        }
    }

    private IReadOnlyList<string> Make(string path, ResourceLimits limits)
    {
        foreach (var dir in layout.Directories(path))
        {
            Directory.CreateDirectory(dir);
        }
        foreach (var write in layout.Writes(path, limits))
        {
            Write(write);
        }
        return layout.ProcsFiles(path);
    }

    /// <summary>Every process in <paramref name="group"/> and its sub-groups, read from cgroup.procs of
    /// <see cref="CgroupLayout.TrackingRoot"/>'s tree; empty when the group does not exist. A process can fork
    /// between two reads: this is a snapshot.</summary>
    public IReadOnlyList<int> Processes(string group)
    {
        var pids = new SortedSet<int>();
        foreach (var dir in DirectoriesIn(layout.TrackingDirectory(PathOf(group))))
        {
            foreach (var line in (ReadFile(CgroupLayout.ProcsFileIn(dir)) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                // 0: a process of a pid namespace this one cannot see into.
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0)
                {
                    pids.Add(pid);
                }
            }
        }
        return pids.ToList();
    }

    /// <summary>Stops every process of <paramref name="group"/>, however it detached itself (setsid, an emptied
    /// environment, a double fork):
    ///
    ///   SIGTERM each ── wait up to grace for the group to empty ──▶ done
    ///        │ not empty
    ///        ▼
    ///   v2: write 1 to cgroup.kill (the kernel kills the group and whatever it forks, atomically)
    ///   v1: freeze (freezer.state FROZEN: nothing forks), SIGKILL each, thaw (the killed die as they wake)
    ///        ▼
    ///   SIGKILL what is left, re-reading cgroup.procs, up to 50 rounds of 100 ms, until the group is empty
    ///
    /// Returns how many processes were signalled. Never signals pid 1 or the platform itself. The group is left in
    /// place (<see cref="RemoveAsync"/> removes it).</summary>
    public async Task<int> KillAsync(string group, TimeSpan grace, CancellationToken ct = default)
    {
        var path = PathOf(group);
        var signalled = new HashSet<int>();
        SignalAll(group, SigTerm, signalled);
        if (await WaitEmptyAsync(group, grace, ct))
        {
            return signalled.Count;
        }
        if (layout.KillFile(path) is { } kill && File.Exists(kill))
        {
            signalled.UnionWith(Processes(group).Where(Signallable));
            Write(new CgroupWrite(kill, "1", Optional: true));
        }
        else if (layout.FreezerFile(path) is { } freezer && File.Exists(freezer))
        {
            try
            {
                Write(new CgroupWrite(freezer, "FROZEN", Optional: true));
                var until = Environment.TickCount64 + 1000;
                while (ReadFile(freezer)?.Trim() is "FREEZING" && Environment.TickCount64 < until)
                {
                    await Task.Delay(10, ct);
                }
                SignalAll(group, SigKill, signalled);
            }
            finally
            {
                Write(new CgroupWrite(freezer, "THAWED", Optional: true));
            }
        }
        for (var round = 0; round < KillRounds && !await WaitEmptyAsync(group, KillRound, ct); round++)
        {
            SignalAll(group, SigKill, signalled);
        }
        return signalled.Count;
    }

    /// <summary>The groups under <see cref="Root"/> ("shop/i-1.3" for slipway/OWNER/shop/i-1.3), for the start-up sweep:
    /// every directory that holds processes or has no sub-directory (an app's directory left empty by its last group
    /// is listed too: nothing in it to kill, <see cref="RemoveAsync"/> removes it).</summary>
    public IReadOnlyList<string> Groups()
    {
        var root = layout.TrackingDirectory(Root);
        return DirectoriesIn(root)
            .Where(dir => dir != root && (!Directory.EnumerateDirectories(dir).Any() || !string.IsNullOrWhiteSpace(ReadFile(CgroupLayout.ProcsFileIn(dir)))))
            .Select(dir => Path.GetRelativePath(root, dir).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The group under <see cref="Root"/> that <paramref name="pid"/> is in (read from /proc/PID/cgroup); null
    /// when it is in none of this platform's, or is gone. A re-adopted instance's recorded pid must still be in its
    /// recorded group.</summary>
    public string? GroupOf(int pid) =>
        pid > 0 && ReadFile($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cgroup") is { } text && layout.CgroupPathIn(text) is { } path
            ? CgroupLayout.GroupUnder(Root, path)
            : null;

    private static bool Signallable(int pid) => pid > 1 && pid != Environment.ProcessId;

    private void SignalAll(string group, int signal, HashSet<int> signalled)
    {
        foreach (var pid in Processes(group).Where(Signallable))
        {
            if (Kill(pid, signal) == 0)
            {
                signalled.Add(pid);
            }
        }
    }

    private async Task<bool> WaitEmptyAsync(string group, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Processes(group).Any(Signallable))
        {
            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }
            await Task.Delay(20, ct);
        }
        return true;
    }

    // A directory and every one below it; none when it does not exist (or goes while being read).
    private static IReadOnlyList<string> DirectoriesIn(string dir)
    {
        try
        {
            return Directory.Exists(dir) ? [dir, .. Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories)] : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Removes the group once its processes are gone (the kernel refuses to remove a group that still has
    /// one: tried a few times, then left for <see cref="RemoveLeftovers"/>).</summary>
    public async Task RemoveAsync(string group)
    {
        foreach (var dir in layout.Directories(PathOf(group)))
        {
            for (var attempt = 0; attempt < 10 && Directory.Exists(dir); attempt++)
            {
                try
                {
                    Directory.Delete(dir);
                }
                catch (IOException)
                {
                    await Task.Delay(50 * (attempt + 1));
                }
                catch (UnauthorizedAccessException)
                {
                    break;
                }
            }
        }
    }

    public ResourceUsage Read(string group)
    {
        var (memory, peak, oom, cpu) = layout.UsageFiles(PathOf(group));
        return layout.ParseUsage(ReadFile(memory), ReadFile(peak), ReadFile(oom), ReadFile(cpu));
    }

    /// <summary>At start: the empty groups an earlier run of this platform left (deepest first; busy ones stay).</summary>
    public void RemoveLeftovers()
    {
        foreach (var root in layout.Directories(Root).Where(Directory.Exists))
        {
            foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
            {
                try
                {
                    Directory.Delete(dir);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    private static void Write(CgroupWrite write)
    {
        try
        {
            File.WriteAllText(write.File, write.Value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!write.Optional)
            {
                throw new IOException($"the kernel refused {write.Value} for {write.File}: {e.Message}", e);
            }
        }
    }

    private static string? ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
