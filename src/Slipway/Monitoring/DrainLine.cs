using Slipway.Runtime;

namespace Slipway.Monitoring;

/// <summary>One line on its way to a drain, as the log store keeps it (secrets redacted). <see cref="AppKey"/> is the
/// app environment's row key; <see cref="App"/> its app and environment, null until the sender looks it up (the
/// router did not know the environment yet: one created since the drains last read the apps).</summary>
internal readonly record struct DrainLine(string AppKey, AppRef? App, LogEntry Entry)
{
    /// <summary>About what the line holds in memory (UTF-16 text and the entry around it): what the buffer's byte
    /// cap counts.</summary>
    public long Size => (2L * Entry.Message.Length) + 160;
}
