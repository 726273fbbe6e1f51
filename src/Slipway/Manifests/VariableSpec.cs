using System.Text.Json.Serialization;

namespace Slipway.Manifests;

[JsonConverter(typeof(KebabCaseEnumConverter<VariableType>))]
internal enum VariableType { String, Int, Bool, Url, Email, Enum, Duration, List }

/// <summary>One config variable the app declares it needs (top-level "variables" of slipway.json). A
/// deployment whose config does not satisfy every declaration is refused before anything is built.</summary>
internal sealed record VariableSpec
{
    public required string Name { get; init; }
    public VariableType Type { get; init; } = VariableType.String;

    /// <summary>Required unless it has a default. An optional variable may be absent.</summary>
    public bool Required { get; init; } = true;

    /// <summary>Must be set as a secret (encrypted, masked, redacted).</summary>
    public bool Secret { get; init; }

    /// <summary>Needed at build time (besides VITE_*, NEXT_PUBLIC_* and the like, which always are).</summary>
    public bool Build { get; init; }

    public string? Description { get; init; }

    /// <summary>Used when the variable is not set.</summary>
    public string? Default { get; init; }

    public int? MinLength { get; init; }

    /// <summary>A regular expression the whole value must match.</summary>
    public string? Pattern { get; init; }

    /// <summary>Allowed values of an enum.</summary>
    public IReadOnlyList<string> Values { get; init; } = [];

    /// <summary>Type of each comma-separated item of a list.</summary>
    public VariableType Items { get; init; } = VariableType.String;

    /// <summary>Environments where it is required (empty: all of them).</summary>
    public IReadOnlyList<string> Environments { get; init; } = [];
}
