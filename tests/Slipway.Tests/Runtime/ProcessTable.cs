namespace Slipway.Tests.Runtime;

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
