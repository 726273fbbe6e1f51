namespace Slipway.Tests.Support;

/// <summary>What /proc says about processes. Zombies are left out: a killed child whose parent is gone stays a
/// zombie until init reaps it (seconds, in some containers), yet it runs nothing and holds no port.</summary>
internal static class ProcessTable
{
    public static bool IsRunning(int pid) => Stat(pid) is { State: not 'Z' };

    /// <summary>Pids of the running (non-zombie) members of process group <paramref name="groupId"/>.</summary>
    public static IReadOnlyList<int> RunningInGroup(int groupId)
    {
        var members = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Stat(pid) is { State: not 'Z' } stat && stat.Group == groupId)
            {
                members.Add(pid);
            }
        }
        return members;
    }

    /// <summary>Whether a running (non-zombie) process has exactly this command line.</summary>
    public static bool AnyRunning(string commandLine)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && IsRunning(pid))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim() == commandLine)
                    {
                        return true;
                    }
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
        return false;
    }

    /// <summary>Waits (up to 5 s) for no running process to have this command line; true when none is left.</summary>
    public static async Task<bool> GoneAsync(string commandLine)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (AnyRunning(commandLine))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(50);
        }
        return true;
    }

    private static (char State, int Group)? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (which may hold spaces and parentheses): state, ppid, pgrp, ...
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
