using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;

namespace Slipway.Runtime;

/// <summary>The level of a line an app printed. A line that is one JSON object (pino, bunyan, winston, Serilog's
/// compact format, structlog, python-json-logger, zap, the .NET JSON console) declares its own: a top-level "level",
/// "lvl", "severity", "levelname", "log.level", "Level", "LogLevel" or "@l", as a name ("warning", "ERROR", "Information")
/// or a pino/bunyan number (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal); a Serilog compact event
/// ("@m"/"@mt") without "@l" is Information, as that format says. Any other line has its stream's level: stdout
/// info, stderr error, the way Heroku- and Railway-style platforms classify plain output.</summary>
internal static class LogLevels
{
    /// <summary>Names as loggers write them, any case.</summary>
    private static readonly FrozenDictionary<string, LogSeverity> Names = new Dictionary<string, LogSeverity>(StringComparer.OrdinalIgnoreCase)
    {
        ["trace"] = LogSeverity.Trace, ["trc"] = LogSeverity.Trace, ["verbose"] = LogSeverity.Trace, ["vrb"] = LogSeverity.Trace,
        ["debug"] = LogSeverity.Debug, ["dbg"] = LogSeverity.Debug,
        ["info"] = LogSeverity.Info, ["inf"] = LogSeverity.Info, ["information"] = LogSeverity.Info,
        ["informational"] = LogSeverity.Info, ["notice"] = LogSeverity.Info,
        ["warn"] = LogSeverity.Warn, ["wrn"] = LogSeverity.Warn, ["warning"] = LogSeverity.Warn,
        ["error"] = LogSeverity.Error, ["err"] = LogSeverity.Error, ["eror"] = LogSeverity.Error, ["dpanic"] = LogSeverity.Error,
        ["fatal"] = LogSeverity.Fatal, ["ftl"] = LogSeverity.Fatal, ["critical"] = LogSeverity.Fatal, ["crit"] = LogSeverity.Fatal,
        ["panic"] = LogSeverity.Fatal, ["alert"] = LogSeverity.Fatal, ["emergency"] = LogSeverity.Fatal, ["emerg"] = LogSeverity.Fatal,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>What `--level` accepts, in the order shown to users.</summary>
    public static readonly string Choices = string.Join(", ", Enum.GetValues<LogSeverity>().Select(JsonSpellings.Of));

    public static LogSeverity OfStream(OutputStream stream) => stream == OutputStream.Stderr ? LogSeverity.Error : LogSeverity.Info;

    /// <summary>A level name as a logger or a user writes it ("warn", "Warning", "ERR", "critical").</summary>
    public static bool TryParse(string? name, out LogSeverity level)
    {
        level = default;
        return name is not null && Names.TryGetValue(name, out level);
    }

    /// <summary>pino's and bunyan's numbers, and any number between them (a custom level 35 is between info and warn,
    /// so info). Below 10 is no such scale (syslog's 0-7 counts the other way): no level.</summary>
    public static LogSeverity? OfNumber(double number) => number switch
    {
        < 10 or double.NaN => null,
        < 20 => LogSeverity.Trace,
        < 30 => LogSeverity.Debug,
        < 40 => LogSeverity.Info,
        < 50 => LogSeverity.Warn,
        < 60 => LogSeverity.Error,
        _ => LogSeverity.Fatal,
    };

    /// <summary>The level a line declares, or null when it declares none: it is not one whole JSON object (only lines
    /// that start with '{' are looked at, so plain output costs a character test), or the object has no level we know.
    /// Never throws: a line that is not valid JSON is a plain line.</summary>
    public static LogSeverity? OfLine(string line)
    {
        if (line.Length < 2 || line[0] != '{')
        {
            return null;
        }
        var length = Encoding.UTF8.GetByteCount(line);
        var rented = length > 1024 ? ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            Span<byte> utf8 = rented is not null ? rented : stackalloc byte[1024];
            utf8 = utf8[..Encoding.UTF8.GetBytes(line, utf8)];
            return OfObject(utf8);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static LogSeverity? OfObject(ReadOnlySpan<byte> utf8)
    {
        LogSeverity? level = null;
        var serilogEvent = false;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
            reader.Read(); // StartObject: the line starts with '{'
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isLevel = level is null && IsLevelName(ref reader);
                serilogEvent |= reader.ValueTextEquals("@m"u8) || reader.ValueTextEquals("@mt"u8);
                reader.Read();
                if (isLevel)
                {
                    level = reader.TokenType switch
                    {
                        JsonTokenType.String => TryParse(reader.GetString(), out var named) ? named : null,
                        JsonTokenType.Number => reader.TryGetDouble(out var number) ? OfNumber(number) : null,
                        _ => null,
                    };
                }
                reader.Skip(); // a nested object or array; nothing for a plain value
            }
            // The object is the whole line: anything after it (a second value, text) throws here.
            while (reader.Read())
            {
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // not JSON, or a string holding half a surrogate pair ("\ud800")
        }
        return level ?? (serilogEvent ? LogSeverity.Info : null);
    }

    private static bool IsLevelName(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("level"u8) || reader.ValueTextEquals("lvl"u8) || reader.ValueTextEquals("severity"u8) ||
        reader.ValueTextEquals("@l"u8) || reader.ValueTextEquals("levelname"u8) || reader.ValueTextEquals("log.level"u8) ||
        reader.ValueTextEquals("Level"u8) || reader.ValueTextEquals("LogLevel"u8);
}
