namespace Slipway.Monitoring;

/// <summary>Host settings of the log drains (mapped by Hosting). The defaults hold a 10,000-line burst whole.</summary>
internal sealed class DrainsOptions
{
    /// <summary>The HOSTNAME of syslog messages: the platform's host name.</summary>
    public string Hostname { get; set; } = "slipway.localhost";

    /// <summary>Lines a drain holds while its receiver is slow or down; beyond, the oldest are dropped and counted.</summary>
    public int BufferLines { get; set; } = 10_000;

    /// <summary>Memory a drain's buffer may hold (lines are counted as UTF-16 text plus their entry); beyond, the oldest
    /// lines are dropped and counted.</summary>
    public long BufferBytes { get; set; } = 32L << 20;

    /// <summary>Lines per HTTPS request (and per syslog write).</summary>
    public int BatchLines { get; set; } = 1_000;

    /// <summary>About the memory of one batch's lines.</summary>
    public long BatchBytes { get; set; } = 4L << 20;

    /// <summary>How long an HTTPS drain waits for a full batch before sending what it has.</summary>
    public TimeSpan BatchWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The first retry's wait; it doubles per failed attempt up to <see cref="RetryCap"/> (see DrainBackoff).</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan RetryCap { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the drains are read again from the database (a destroyed app's drains stop) and their
    /// delivery counts saved.</summary>
    public TimeSpan Tick { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a platform stop waits for drains that are up to send what they hold.</summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(3);
}
