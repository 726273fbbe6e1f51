using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Slipway;

/// <summary>How Slipway's types are spelled in JSON: in the API, every --json output and the releases it records.
/// One spelling per thing, the one a user writes in slipway.json: enums in kebab case ("web", "health-checking",
/// "on-failure"), durations as "5s" or "1m30s", times as UTC ISO 8601 with milliseconds ("2026-12-03T06:00:00.000Z").</summary>
internal static class JsonSpellings
{
    /// <summary>Web defaults (camelCase properties) with Slipway's spellings.</summary>
    public static JsonSerializerOptions Web(bool indented = false)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = indented };
        AddTo(options);
        return options;
    }

    /// <summary>Adds the converters that are not attributes on the types themselves (the framework's own types), and
    /// puts the metadata generated at compile time (<see cref="UseGenerated"/>) before whatever resolver the options
    /// have (reflection when none): the types it lists cost no reflection, every other type is read as before.</summary>
    public static void AddTo(JsonSerializerOptions options)
    {
        options.Converters.Add(new UtcTimeConverter());
        options.Converters.Add(new DurationConverter());
        if (_generated is { } generated)
        {
            options.TypeInfoResolver = JsonTypeInfoResolver.Combine(generated, options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver());
        }
    }

    private static IJsonTypeInfoResolver? _generated;

    /// <summary>The source-generated metadata of the types the API and the CLI exchange. The kernel may not name the
    /// API layer, so that layer's context registers itself here as the module loads (Api/SlipwayJsonContext.cs).
    /// It only spares reflection: the spellings come from these options and the types' attributes either way.</summary>
    internal static void UseGenerated(IJsonTypeInfoResolver resolver) => _generated = resolver;

    /// <summary>The spelling of an enum value (its name in kebab case), as stored and shown.</summary>
    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum => EnumSpellings<TEnum>.Names[value];

    /// <summary>The enum value spelled <paramref name="text"/>; a spelling this version does not know is a bug
    /// (the store and the API only hold what <see cref="Of{TEnum}"/> wrote).</summary>
    public static TEnum Parse<TEnum>(string text) where TEnum : struct, Enum =>
        TryParse<TEnum>(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a {typeof(TEnum).Name}: expected one of {string.Join(", ", EnumSpellings<TEnum>.Values.Keys)}");

    public static bool TryParse<TEnum>(string text, out TEnum value) where TEnum : struct, Enum =>
        EnumSpellings<TEnum>.Values.TryGetValue(text, out value);

    private static class EnumSpellings<TEnum> where TEnum : struct, Enum
    {
        public static readonly Dictionary<TEnum, string> Names =
            Enum.GetValues<TEnum>().ToDictionary(v => v, v => JsonNamingPolicy.KebabCaseLower.ConvertName(v.ToString()));

        public static readonly Dictionary<string, TEnum> Values = Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }

    /// <summary>Times as "2026-12-03T06:00:00.000Z"; reads any ISO 8601 time (without an offset: UTC).</summary>
    public sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            UtcTime.TryParse(reader.GetString(), out var time) ? time : throw new JsonException($"'{reader.GetString()}' is not a time like 2026-12-03T06:00:00Z");

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(UtcTime.Format(value));
    }

    /// <summary>Durations as a user writes them ("30s", "1m30s"); reads those, a number of seconds, or .NET's
    /// "00:00:30" (releases recorded before this spelling).</summary>
    public sealed class DurationConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Number)
            {
                return TimeSpan.FromSeconds(reader.GetDouble());
            }
            var text = reader.GetString();
            if (Durations.TryParse(text, out var duration) ||
                (text is not null && text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration)))
            {
                return duration;
            }
            throw new JsonException($"'{text}' is not a duration: expected one like {Durations.Example}");
        }

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Durations.Format(value));
    }
}

/// <summary>An enum spelled in kebab case in JSON (<see cref="JsonSpellings"/>): put it on the enum type. Reads its
/// member names too (releases recorded before these spellings hold "Web", "OnFailure").</summary>
internal sealed class KebabCaseEnumConverter<TEnum> : JsonConverter<TEnum> where TEnum : struct, Enum
{
    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException($"expected a string for {typeof(TEnum).Name}");
        if (JsonSpellings.TryParse<TEnum>(text, out var value) || (text.Length > 0 && !char.IsAsciiDigit(text[0]) && Enum.TryParse(text, ignoreCase: true, out value)))
        {
            return value;
        }
        throw new JsonException($"'{text}' is not a {typeof(TEnum).Name}: expected one of {string.Join(", ", Enum.GetValues<TEnum>().Select(v => JsonSpellings.Of(v)))}");
    }

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options) => writer.WriteStringValue(JsonSpellings.Of(value));
}
