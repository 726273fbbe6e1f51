using System.Buffers;
using System.Globalization;
using System.Text;
using Slipway.Runtime;

namespace Slipway.Monitoring;

/// <summary>One line as an RFC 5424 syslog message in an octet-counted frame (RFC 6587 §3.4.1 over TCP, RFC 5425 §4.3
/// over TLS, the same framing):
/// <code>MSG-LEN SP &lt;PRI&gt;1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - BOM MSG</code>
/// PRI is facility user (1) with the line's severity (<see cref="SyslogSeverity"/>); TIMESTAMP the line's, UTC with
/// milliseconds; HOSTNAME the platform's host name; APP-NAME the app environment's key ("shop", "shop-staging"); PROCID
/// the instance; MSGID the stream (out, err, platform, access); no structured data; MSG UTF-8 after a BOM, as
/// RFC 5424 §6.4 asks for a message known to be UTF-8. Octet counting lets a message hold any byte, newlines included.</summary>
internal static class SyslogFrame
{
    public const int Facility = 1;

    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    public static void Write(IBufferWriter<byte> output, string hostname, AppRef app, LogEntry entry)
    {
        var header = string.Create(CultureInfo.InvariantCulture,
            $"<{(Facility * 8) + SyslogSeverity.Of(entry)}>1 {UtcTime.Format(entry.At)} {Field(hostname, 255)} {Field(app.Key, 48)} {Field(entry.Instance, 128)} {Field(entry.Kind, 32)} - ");
        var length = header.Length + Bom.Length + Encoding.UTF8.GetByteCount(entry.Message);
        Encoding.ASCII.GetBytes(length.ToString(CultureInfo.InvariantCulture) + " " + header, output);
        output.Write(Bom);
        Encoding.UTF8.GetBytes(entry.Message, output);
    }

    /// <summary>A header field as RFC 5424 allows it: printable US-ASCII without spaces (anything else becomes '_'),
    /// at most <paramref name="max"/> characters, "-" (the nil value) when there is none.</summary>
    public static string Field(string? value, int max)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "-";
        }
        var text = value.Length > max ? value[..max] : value;
        return string.Create(text.Length, text, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = source[i] is > ' ' and <= '~' ? source[i] : '_';
            }
        });
    }
}
