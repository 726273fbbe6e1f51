using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Slipway.Sandbox;

/// <summary>Keeps apps off each other's instance ports, and other machines off all of them, with the nftables
/// table of this platform (<see cref="PortFirewallRules"/>):
///
///   start ─► ResetAsync (the table, empty) ─► OpenAsync(port, uid) as each instance starts ─► CloseAsync(port, uid)
///   as it stops ─► RemoveAsync at shutdown
///
/// Each call is one `nft -f -` transaction, applied whole or not at all, one at a time. nft failing (no table, a
/// kernel without nf_tables, nft gone) is an operational failure: logged with what nft said, answered with false;
/// the instance then runs unprotected rather than not at all.
///
/// Not disposable on purpose: a retirement still draining when the host shuts down may close its port after the
/// container is disposed, and that must be a no-op, not an ObjectDisposedException (the gate holds no wait handle).
/// After <see cref="RemoveAsync"/> the table is gone and later opens and closes do nothing.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The gate never allocates a wait handle, and late closes must outlive the container (see above).")]
internal sealed partial class PortFirewall(string ownerId, string nft, ILogger<PortFirewall> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _removed;

    public PortFirewallRules Rules { get; } = PortFirewallRules.For(ownerId);

    /// <summary>The table's name, as `nft list table inet NAME` takes it.</summary>
    public string Table => Rules.Table;

    /// <summary>Makes the table again, empty: what an earlier run of this platform left is gone.</summary>
    public Task<bool> ResetAsync(CancellationToken cancellationToken = default) =>
        ApplyAsync("reset", Rules.Reset(), cancellationToken, removed: false);

    /// <summary>Makes the table again with only <paramref name="keep"/> open, in one transaction: at start, the ports of
    /// the instances a restarted platform adopts stay protected throughout, and those of dead ones go.</summary>
    public Task<bool> ResetAsync(IEnumerable<(int Port, int Uid)> keep, CancellationToken cancellationToken = default) =>
        ApplyAsync("reset", Rules.Reset() + string.Concat(keep.Select(k => Rules.Open(k.Port, k.Uid))), cancellationToken, removed: false);

    /// <summary>Closes <paramref name="port"/> to every app's user but <paramref name="uid"/>, and to other machines.</summary>
    public Task<bool> OpenAsync(int port, int uid, CancellationToken cancellationToken = default) =>
        ApplyAsync($"open {port} for uid {uid}", Rules.Open(port, uid), cancellationToken);

    /// <summary>Forgets <paramref name="port"/> (its instance stopped); harmless if it was not open.</summary>
    public Task<bool> CloseAsync(int port, int uid, CancellationToken cancellationToken = default) =>
        ApplyAsync($"close {port} of uid {uid}", Rules.Close(port, uid), cancellationToken);

    /// <summary>Deletes the table (platform shutdown); harmless if there is none.</summary>
    public Task<bool> RemoveAsync(CancellationToken cancellationToken = default) =>
        ApplyAsync("remove", Rules.Remove(), cancellationToken, removed: true);

    /// <summary>What the rules do, in one line for `slipway doctor`.</summary>
    public string Describe() => Rules.Describe();

    private async Task<bool> ApplyAsync(string action, string script, CancellationToken cancellationToken, bool? removed = null)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (removed is null && _removed)
            {
                return false;
            }
            if (removed is bool now)
            {
                _removed = now;
            }
            var (code, error) = await RunNftAsync(script, cancellationToken);
            if (code != 0)
            {
                LogFailed(logger, Table, action, code, error);
                return false;
            }
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<(int Code, string Error)> RunNftAsync(string script, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(nft, ["-f", "-"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{nft} did not start");
        }
        catch (Win32Exception e)
        {
            return (-1, $"cannot run {nft}: {e.Message}");
        }
        using (process)
        {
            try
            {
                var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
                var error = process.StandardError.ReadToEndAsync(cancellationToken);
                try
                {
                    await process.StandardInput.WriteAsync(script.AsMemory(), cancellationToken);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // nft exited before reading all of the script; its code and stderr say why.
                }
                await process.WaitForExitAsync(cancellationToken);
                await output;
                return (process.ExitCode, (await error).Trim());
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "port firewall {Table}: {Action} failed (nft exited with code {Code}): {Error}")]
    private static partial void LogFailed(ILogger logger, string table, string action, int code, string error);
}
