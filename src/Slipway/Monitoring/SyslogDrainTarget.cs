using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Slipway.Monitoring;

/// <summary>A syslog drain: one long-lived connection (tcp://, RFC 6587; tls://, RFC 5425), octet-counted RFC 5424
/// frames (<see cref="SyslogFrame"/>), a batch written and flushed at once. A broken connection is closed and opened
/// again at the next attempt, which the sender's backoff paces.
///
/// Syslog has no acknowledgements: a batch counts as delivered once the kernel took it, so lines written into a
/// connection the receiver was just closing can be lost, and a batch whose write failed half-way is sent again whole
/// (the receiver may see some of its lines twice). To lose less, a connection the receiver has closed is noticed
/// before a batch is written: a watcher reads it all along (a syslog receiver sends nothing; TLS's own records, such
/// as session tickets, are consumed by the read) and marks it closed when the read ends.</summary>
internal sealed class SyslogDrainTarget(Uri url, string hostname, string? caPem) : DrainTarget([])
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(30);

    private readonly ArrayBufferWriter<byte> _frames = new(64 << 10);
    private readonly RemoteCertificateValidationCallback? _validator = DrainTrust.Validator(DrainTrust.Roots(caPem));
    private Stream? _stream;
    private Task _closed = Task.CompletedTask;

    public override bool Lingers => false;

    public override async Task<DrainAttempt> SendAsync(IReadOnlyList<DrainLine> batch, CancellationToken cancellationToken)
    {
        _frames.ResetWrittenCount();
        foreach (var line in batch)
        {
            SyslogFrame.Write(_frames, hostname, line.App!.Value, line.Entry);
        }
        var connecting = false;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            if (_stream is null || _closed.IsCompleted)
            {
                await CloseAsync();
                connecting = true;
                timeout.CancelAfter(ConnectTimeout);
                _stream = await ConnectAsync(timeout.Token);
                _closed = WatchAsync(_stream);
                connecting = false;
            }
            timeout.CancelAfter(WriteTimeout);
            await _stream.WriteAsync(_frames.WrittenMemory, timeout.Token);
            await _stream.FlushAsync(timeout.Token);
            return DrainAttempt.Delivered;
        }
        catch (Exception e) when (e is SocketException or IOException or AuthenticationException or ObjectDisposedException ||
                                  (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await CloseAsync();
            return e switch
            {
                AuthenticationException tls => new DrainAttempt(DrainOutcome.Refused, Scrub($"TLS handshake with {url.Authority} failed: {tls.InnerException?.Message ?? tls.Message}")),
                OperationCanceledException when connecting => new DrainAttempt(DrainOutcome.Unavailable, $"no connection to {url.Authority} within {ConnectTimeout.TotalSeconds:0}s"),
                OperationCanceledException => new DrainAttempt(DrainOutcome.Unavailable, $"{url.Authority} took nothing for {WriteTimeout.TotalSeconds:0}s (the receiver stopped reading)"),
                _ => new DrainAttempt(DrainOutcome.Unavailable, Scrub($"{url.Authority}: {e.Message}")),
            };
        }
        catch
        {
            await CloseAsync();
            throw;
        }
    }

    public override ValueTask DisposeAsync() => new(CloseAsync());

    private async Task<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
#pragma warning disable CA2000 // the stream owns the socket (ownsSocket), the caller the stream
        var stream = new NetworkStream(await ConnectSocketAsync(cancellationToken), ownsSocket: true);
#pragma warning restore CA2000
        if (url.Scheme != "tls")
        {
            return stream;
        }
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = url.IdnHost,
                RemoteCertificateValidationCallback = _validator,
            }, cancellationToken);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }
    }

    private async Task<Socket> ConnectSocketAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(url.IdnHost, url.Port, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads until the receiver closes the connection (or it breaks): then the next batch opens a new one.</summary>
    private static async Task WatchAsync(Stream stream)
    {
        var buffer = new byte[512];
        try
        {
            while (await stream.ReadAsync(buffer) > 0)
            {
                // A syslog receiver says nothing; whatever it says is ignored.
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or AuthenticationException or InvalidOperationException)
        {
            // Broken or closed by us: either way the connection is done.
        }
    }

    private async Task CloseAsync()
    {
        if (_stream is { } stream)
        {
            _stream = null;
            await stream.DisposeAsync();
            await _closed;
        }
    }
}
