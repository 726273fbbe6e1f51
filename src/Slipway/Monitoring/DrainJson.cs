using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Slipway.Monitoring;

/// <summary>The body an HTTPS drain POSTs: NDJSON (application/x-ndjson), one object per line, in the order the log
/// store kept them:
/// <code>{"time":"2026-12-03T06:00:00.123Z","app":"shop","env":"production","service":"web","instance":"i-6y6xq82q","deployment":"d-qzgq7s9k","stream":"out","level":"info","message":"listening on 3000"}</code>
/// Members without a value (a platform line has no instance) are left out. "stream" is out, err, platform (the
/// platform's own notes about the app, such as a restart) or access (the edge's access log, logfmt); "level" is the
/// line's (trace ... fatal: a JSON line's own, else err error and the rest info).</summary>
internal static class DrainJson
{
    // Relaxed: the receiver is no HTML page, so text stays readable (é, <, '); control characters are still escaped,
    // so one object is always one line.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(IBufferWriter<byte> output, IReadOnlyList<DrainLine> lines)
    {
        using var writer = new Utf8JsonWriter(output, Options);
        foreach (var line in lines)
        {
            var entry = line.Entry;
            var app = line.App!.Value;
            writer.WriteStartObject();
            writer.WriteString("time", UtcTime.Format(entry.At));
            writer.WriteString("app", app.App);
            writer.WriteString("env", app.Env);
            WriteIfAny(writer, "service", entry.Service);
            WriteIfAny(writer, "instance", entry.Instance);
            WriteIfAny(writer, "deployment", entry.Deployment);
            writer.WriteString("stream", entry.Kind);
            writer.WriteString("level", JsonSpellings.Of(entry.EffectiveLevel));
            writer.WriteString("message", entry.Message);
            writer.WriteEndObject();
            writer.Flush();
            output.Write("\n"u8);
            writer.Reset(output);
        }
    }

    private static void WriteIfAny(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
