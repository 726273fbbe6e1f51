using System.Text.Json;
using System.Text.RegularExpressions;

namespace Slipway.Manifests;

/// <summary>Reads the top-level "variables": the config an app declares it needs, with types and rules.</summary>
internal static class VariablesReader
{
    private const string Example = "\"variables\": { \"DATABASE_URL\": { \"type\": \"url\", \"secret\": true } }";

    public static readonly IReadOnlyDictionary<string, VariableType> Types = new Dictionary<string, VariableType>
    {
        ["string"] = VariableType.String, ["int"] = VariableType.Int, ["bool"] = VariableType.Bool, ["url"] = VariableType.Url,
        ["email"] = VariableType.Email, ["enum"] = VariableType.Enum, ["duration"] = VariableType.Duration, ["list"] = VariableType.List,
    };

    public static IReadOnlyList<VariableSpec> Read(ManifestObject root, ManifestDiagnostics diagnostics)
    {
        var variables = new List<VariableSpec>();
        if (root.Raw("variables") is not { } map)
        {
            return variables;
        }
        if (map.ValueKind != JsonValueKind.Object)
        {
            root.Error("variables", $"expected an object of variables by name, e.g. {Example}; got {ManifestObject.Describe(map)}");
            return variables;
        }
        foreach (var property in map.EnumerateObject())
        {
            var path = ManifestDiagnostics.Join("variables", property.Name);
            if (!ManifestKeys.EnvKeyPattern().IsMatch(property.Name) || ManifestKeys.ReservedEnv.Contains(property.Name))
            {
                diagnostics.Error(path, $"\"{property.Name}\" cannot be a variable: use letters, digits and _ (not starting with a digit), and not PORT or HOST");
                continue;
            }
            if (ManifestObject.Open(property.Value, path, diagnostics, ManifestKeys.VariableKeys) is { } v)
            {
                variables.Add(ReadOne(property.Name, v));
            }
        }
        return variables;
    }

    private static VariableSpec ReadOne(string name, ManifestObject v)
    {
        var type = v.Enum("type", Types) ?? VariableType.String;
        var values = Strings(v, "values");
        if (type == VariableType.Enum && values.Count == 0)
        {
            v.Error("values", "an enum needs its allowed values, like \"values\": [\"production\", \"development\"]");
        }
        var pattern = v.String("pattern", "a regular expression");
        if (pattern is not null && !IsRegex(pattern))
        {
            v.Error("pattern", $"is not a valid regular expression: {ManifestObject.Quote(pattern)}");
            pattern = null;
        }
        var defaultValue = v.String("default", "a default value (a string)");
        if (v.Bool("secret") == true && (v.Bool("build") == true || BrowserVariables.Is(name)))
        {
            v.Error("secret", $"{name} is given to the build, which may inline it into a browser bundle for anyone to read; " +
                "a secret must stay on the server: drop \"secret\" or rename the variable");
        }
        if (defaultValue is not null && EnvironmentSize.Problem(name, EnvironmentSize.EntryBytes(name, defaultValue)) is { } tooLarge)
        {
            v.Error("default", tooLarge);
        }
        if (v.Bool("secret") == true && defaultValue is not null)
        {
            v.Error("default", "a secret cannot have a default in slipway.json, which is committed with the code; set it with slipway env set --secret");
        }
        return new VariableSpec
        {
            Name = name,
            Type = type,
            Required = v.Bool("required") ?? defaultValue is null,
            Secret = v.Bool("secret") ?? false,
            Build = v.Bool("build") ?? false,
            Description = v.String("description", "a description"),
            Default = defaultValue,
            MinLength = v.Int("minLength", 1, 4096),
            Pattern = pattern,
            Values = values,
            Items = v.Enum("items", Types) ?? VariableType.String,
            Environments = Strings(v, "environments"),
        };
    }

    private static List<string> Strings(ManifestObject v, string key)
    {
        if (v.Raw(key) is not { } raw)
        {
            return [];
        }
        if (raw.ValueKind != JsonValueKind.Array || raw.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            v.Error(key, $"expected a list of strings, got {ManifestObject.Describe(raw)}");
            return [];
        }
        return raw.EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    private static bool IsRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
