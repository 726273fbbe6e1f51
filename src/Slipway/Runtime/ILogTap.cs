namespace Slipway.Runtime;

/// <summary>Something above Runtime that wants every line the log store keeps, as it is stored (secrets already
/// redacted): the log drains (Monitoring/). <see cref="LogStore"/> calls it under the key's write lock, right after
/// the line is written, so a tap sees each key's lines in exactly the order they reach the disk; a line the disk would
/// not take (full) is handed on all the same, so a drain may still keep it. It must therefore
/// return at once: hand the line on without waiting (a bounded buffer, dropping when full), never block, never throw.
/// Registered in DI by the subsystem that implements it; the log store works the same without one.</summary>
internal interface ILogTap
{
    void Appended(string key, LogEntry entry);
}
