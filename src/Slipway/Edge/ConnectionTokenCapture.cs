using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Slipway.Edge;

/// <summary>Kestrel connection middleware that recovers the Connection tokens Kestrel drops. Kestrel's
/// HttpHeaders.ParseConnection replaces a Connection header whose only recognised token is keep-alive, close or
/// upgrade with that one token ("keep-alive, X-Foo" becomes "keep-alive"), and no Kestrel option keeps the
/// original, so nothing above Kestrel can learn that X-Foo is hop-by-hop. This middleware watches the
/// request bytes as Kestrel reads them and offers the tokens through IConnectionTokensFeature.</summary>
/// <remarks>
/// <code>
///   socket ─► [TLS] ─► ScanningReader ──(same ReadResult, untouched)──► Kestrel HTTP/1.1 parser ─► handler
///                          │ new bytes, once                                                      │ TryTake(method, target)
///                          └─► Http1RequestScanner ─► ConnectionTokensFeature (pending heads) ◄───┘
/// </code>
/// Install it on each listener after UseHttps, so it sees plaintext: listen.Use(ConnectionTokenCapture.Middleware).
/// </remarks>
internal static class ConnectionTokenCapture
{
    public static ConnectionDelegate Middleware(ConnectionDelegate next) => connection =>
        // HTTP/2 (negotiated by ALPN) forbids Connection headers and keeps its own framing.
        connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol.Span.SequenceEqual("h2"u8) == true
            ? next(connection)
            : CaptureAsync(connection, next);

    private static async Task CaptureAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var feature = new ConnectionTokensFeature();
        using var scanner = new Http1RequestScanner(feature);
        var transport = connection.Transport;
        connection.Transport = new DuplexPipe(new ScanningReader(transport.Input, scanner), transport.Output);
        connection.Features.Set<IConnectionTokensFeature>(feature);
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = transport;
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }

    /// <summary>Hands Kestrel exactly what the inner reader returns and lets the scanner see each byte the first
    /// time it is returned. By the pipe contract the next buffer starts at the position last consumed, so the bytes
    /// returned before but not consumed lead it; their count is taken at AdvanceTo, before the inner reader may
    /// recycle the segments.</summary>
    private sealed class ScanningReader(PipeReader inner, Http1RequestScanner scanner) : PipeReader
    {
        private ReadOnlySequence<byte> _returned;
        private long _scanned; // bytes at the start of the next buffer that the scanner has seen

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }
            Observe(result.Buffer);
            return true;
        }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var read = inner.ReadAsync(cancellationToken);
            if (scanner.Stopped)
            {
                return read;
            }
            if (read.IsCompletedSuccessfully)
            {
                var result = read.Result;
                Observe(result.Buffer);
                return new ValueTask<ReadResult>(result);
            }
            return ObserveAsync(read);
        }

        // Pooled: a socket read usually completes later, and this runs for every read of every HTTP/1.1 connection.
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<ReadResult> ObserveAsync(ValueTask<ReadResult> read)
        {
            var result = await read;
            Observe(result.Buffer);
            return result;
        }

        private void Observe(in ReadOnlySequence<byte> buffer)
        {
            if (scanner.Stopped)
            {
                return;
            }
            if (buffer.Length < _scanned)
            {
                scanner.Dispose(); // not the buffer this reader expected: nothing it scans can be trusted now
                return;
            }
            scanner.Scan(buffer.Slice(_scanned));
            _returned = buffer;
            _scanned = buffer.Length;
        }

        public override void AdvanceTo(SequencePosition consumed)
        {
            Consumed(consumed);
            inner.AdvanceTo(consumed);
        }

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            Consumed(consumed);
            inner.AdvanceTo(consumed, examined);
        }

        private void Consumed(SequencePosition consumed)
        {
            if (scanner.Stopped)
            {
                _returned = default;
                return;
            }
            try
            {
                _scanned = _returned.Slice(consumed).Length;
            }
#pragma warning disable CA1031 // a position from elsewhere: the inner reader will tell Kestrel what it thinks of it
            catch (Exception)
#pragma warning restore CA1031
            {
                scanner.Dispose();
            }
            _returned = default;
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }
}
