namespace Slipway.Sandbox;

/// <summary>The platform's own cgroups, one per confined process tree (an instance, a build step, a job run), under
/// slipway/OWNER in each controller tree so two platforms on one machine never touch each other's. A group is made
/// with its limits before its process starts (the process joins it before it execs the app, so no child escapes)
/// and removed once the process tree is gone; its counters are read while it lives and once at the end.</summary>
internal sealed class Cgroups(CgroupLayout layout, string ownerId)
{
    public CgroupLayout Layout => layout;

    /// <summary>This platform's part of every controller tree.</summary>
    public string Root => $"slipway/{ownerId[..Math.Min(12, ownerId.Length)]}";

    public string PathOf(string group) => $"{Root}/{group}";

    /// <summary>Makes <paramref name="group"/> with <paramref name="limits"/>; returns the cgroup.procs files the process
    /// joins. Throws <see cref="IOException"/> when the kernel refuses a limit (the process must not run unlimited).</summary>
    public IReadOnlyList<string> Create(string group, ResourceLimits limits)
    {
        var path = PathOf(group);
        foreach (var write in layout.Delegation(path))
        {
            Write(write);
        }
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

    /// <summary>The group (its name under <see cref="Root"/>) <paramref name="pid"/> is in, from /proc/PID/cgroup; null when
    /// it is in none of this platform's (or is gone).</summary>
    public string? GroupOf(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/cgroup");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        foreach (var line in lines)
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && (layout.Version == 2 ? parts[0] == "0" : parts[1].Split(',').Contains("memory")))
            {
                var path = parts[2].TrimStart('/');
                return path.StartsWith(Root + "/", StringComparison.Ordinal) ? path[(Root.Length + 1)..] : null;
            }
        }
        return null;
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
