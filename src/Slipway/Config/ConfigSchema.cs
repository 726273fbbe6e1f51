using System.Globalization;
using System.Net.Mail;
using System.Text.RegularExpressions;
using Slipway.Manifests;

namespace Slipway.Config;

/// <summary>Checks an app's config against the variables its manifest declares. Every problem comes with the
/// exact command that fixes it; a secret's value never appears in a message.</summary>
internal static class ConfigSchema
{
    /// <param name="target">How the fix commands name the app: "shop", or "shop --env staging".</param>
    public static IReadOnlyList<string> Check(string target, IReadOnlyList<VariableSpec> variables, ConfigSnapshot config, string environment)
    {
        var problems = new List<string>();
        // Sizes of what the process gets, defaults included: values saved before `env set` checked sizes, or
        // defaults that take the config over the limit, would fail the start with an error of the OS.
        var started = WithDefaults(variables, config);
        var defaults = (started.Defaults ?? []).Except(config.Defaults ?? []).ToHashSet(StringComparer.Ordinal);
        foreach (var name in started.Vars.Keys.Order(StringComparer.Ordinal))
        {
            if (ConfigLimits.VariableProblem(name, started.Vars[name]) is { } tooLarge)
            {
                problems.Add(defaults.Contains(name)
                    ? $"{tooLarge}: give variables.{name}.default in slipway.json a smaller value"
                    : $"{tooLarge}: slipway env unset --app {target} {name}");
            }
        }
        if (ConfigLimits.TotalProblem(started.Vars) is { } tooMuch)
        {
            problems.Add(defaults.Count == 0
                ? $"{tooMuch}: slipway env unset --app {target} <the largest>"
                : $"{tooMuch} (with slipway.json's defaults for {string.Join(", ", defaults.Order(StringComparer.Ordinal))}): " +
                  $"slipway env unset --app {target} <the largest>, or smaller defaults in slipway.json");
        }
        foreach (var v in variables)
        {
            var set = $"slipway env set --app {target}{(v.Secret ? " --secret" : "")} {v.Name}=";
            if (!config.Vars.TryGetValue(v.Name, out var value))
            {
                var required = v.Required && v.Default is null && (v.Environments.Count == 0 || v.Environments.Contains(environment));
                if (required)
                {
                    problems.Add($"{v.Name} ({Describe(v)}) is not set{About(v)}: {set}{Placeholder(v)}");
                }
                continue;
            }
            var isSecret = config.Secrets.Contains(v.Name);
            if (v.Secret && !isSecret)
            {
                problems.Add($"{v.Name} must be a secret but is set in the clear: slipway env set --app {target} --secret {v.Name}=<value> (then rotate it: it was visible)");
            }
            var shown = isSecret || v.Secret ? "its value" : $"\"{Shorten(value)}\"";
            if (Invalid(v.Type == VariableType.List ? null : v.Type, v, value) is { } typeProblem)
            {
                problems.Add($"{v.Name}: {shown} {typeProblem}: {set}{Placeholder(v)}");
            }
            else if (v.Type == VariableType.List)
            {
                foreach (var item in value.Split(',', StringSplitOptions.TrimEntries))
                {
                    if (Invalid(v.Items, v, item) is { } itemProblem)
                    {
                        problems.Add($"{v.Name}: item {(isSecret ? "" : $"\"{Shorten(item)}\" ")}{itemProblem}: {set}{Placeholder(v)}");
                        break;
                    }
                }
            }
            if (v.MinLength is { } min && value.Length < min)
            {
                problems.Add($"{v.Name}: {shown} is {value.Length} characters, at least {min} needed: {set}<{min}+ characters>");
            }
            if (v.Pattern is { } pattern && !Regex.IsMatch(value, $"^(?:{pattern})$", RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                problems.Add($"{v.Name}: {shown} does not match {pattern}: {set}<a value matching {pattern}>");
            }
        }
        return problems;
    }

    /// <summary>The config with declared defaults filled in for variables that are not set.</summary>
    public static ConfigSnapshot WithDefaults(IReadOnlyList<VariableSpec> variables, ConfigSnapshot config)
    {
        var missing = variables.Where(v => v.Default is not null && !config.Vars.ContainsKey(v.Name)).ToList();
        if (missing.Count == 0)
        {
            return config;
        }
        var vars = new Dictionary<string, string>(config.Vars);
        foreach (var v in missing)
        {
            vars[v.Name] = v.Default!;
        }
        // Recorded, so a rollback writes back what the environment had and not the defaults it ran with.
        return config with { Vars = vars, Defaults = [.. config.Defaults ?? [], .. missing.Select(v => v.Name)] };
    }

    private static string? Invalid(VariableType? type, VariableSpec v, string value) => type switch
    {
        VariableType.Int => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? null : "is not a whole number",
        VariableType.Bool => value is "true" or "false" or "1" or "0" ? null : "is not a boolean (true, false, 1 or 0)",
        VariableType.Url => Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Host.Length > 0 ? null : "is not an absolute URL like https://host/path",
        VariableType.Email => MailAddress.TryCreate(value, out var mail) && mail.Address == value ? null : "is not an email address",
        VariableType.Duration => Durations.TryParse(value, out _) ? null : "is not a duration like 30s or 5m",
        VariableType.Enum => v.Values.Contains(value) ? null : $"is not one of {string.Join(", ", v.Values)}",
        _ => null,
    };

    private static string Describe(VariableSpec v) =>
        (v.Type == VariableType.List ? $"list of {v.Items.ToString().ToLowerInvariant()}" : v.Type.ToString().ToLowerInvariant()) +
        (v.Secret ? ", secret" : "");

    private static string About(VariableSpec v) => v.Description is { Length: > 0 } d ? $" ({d})" : "";

    private static string Placeholder(VariableSpec v) => v.Type switch
    {
        VariableType.Enum => v.Values.FirstOrDefault() ?? "<value>",
        VariableType.Url => "<https://...>",
        VariableType.Email => "<name@example.com>",
        VariableType.Int => "<number>",
        VariableType.Bool => "true",
        VariableType.Duration => "30s",
        VariableType.List => "<a,b,c>",
        _ => "<value>",
    };

    private static string Shorten(string value) => value.Length > 40 ? value[..40] + "…" : value;
}
