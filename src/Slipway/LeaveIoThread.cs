using System.Runtime.CompilerServices;

namespace Slipway;

/// <summary>For awaits on network I/O outside the edge: the code after them runs on a thread-pool thread, never on
/// the socket engine's thread that completed the I/O (Hosting/SocketCompletions: `slipway server` completes socket I/O inline on the epoll threads the edge shares).</summary>
internal static class LeaveIoThreadExtensions
{
    public static ConfiguredTaskAwaitable LeaveIoThread(this Task task) => task.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);

    public static ConfiguredTaskAwaitable<T> LeaveIoThread<T>(this Task<T> task) => task.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);

    public static ConfiguredTaskAwaitable<T> LeaveIoThread<T>(this ValueTask<T> task) => task.AsTask().ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
}
