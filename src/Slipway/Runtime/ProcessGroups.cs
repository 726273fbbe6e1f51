using System.Runtime.InteropServices;

namespace Slipway.Runtime;

/// <summary>Signals to whole process groups. Every process Slipway starts leads its own group (started through
/// setsid), so killing the group kills the whole tree: npm and the node it started, a shell and its pipeline.</summary>
internal static partial class ProcessGroups
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    public static void Signal(int groupId, int signal)
    {
        if (groupId > 1)
        {
            _ = Kill(-groupId, signal);
        }
    }

    /// <summary>A signal to one process only (not its group).</summary>
    public static void SignalProcess(int pid, int signal)
    {
        if (pid > 1)
        {
            _ = Kill(pid, signal);
        }
    }

    public static bool IsAlive(int groupId) => groupId > 1 && Kill(-groupId, 0) == 0;

    /// <summary>Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot.</summary>
    public static string? ReadStartIdentity(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may contain spaces and parentheses: fields are counted after its last ')'.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return rest[19];
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

    /// <summary>True while <paramref name="pid"/> is the process that started at <paramref name="startIdentity"/> and has
    /// not ended (a zombie has ended: only its parent's wait is missing).</summary>
    public static bool IsSameProcess(int pid, string? startIdentity)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return rest[0] != "Z" && rest[0] != "X" && rest[19] == startIdentity;
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

    /// <summary>Kills a group left over from an earlier run of the platform, if its leader is still the same process.</summary>
    public static async Task KillLeftoverAsync(int pid, string? startIdentity, TimeSpan grace)
    {
        if (startIdentity is null || ReadStartIdentity(pid) != startIdentity)
        {
            return;
        }
        Signal(pid, SigTerm);
        await WaitGoneAsync(pid, grace);
        Signal(pid, SigKill);
        await WaitGoneAsync(pid, TimeSpan.FromSeconds(5));
    }

    public static async Task<bool> WaitGoneAsync(int groupId, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (IsAlive(groupId))
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            await Task.Delay(25);
        }
        return true;
    }
}
