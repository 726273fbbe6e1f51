using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Slipway.Errors;

/// <summary>Takes out of an event, before it is stored, what must not be kept: the values of the environment's
/// secrets wherever they appear, cookies, credentials in headers, fields whose names say they hold a secret, e-mail and
/// IP addresses, and card numbers. What is taken out reads "[Filtered]".</summary>
internal static partial class Scrubber
{
    public const string Filtered = "[Filtered]";

    /// <param name="secrets">The values of the environment's secret config (only those of 6 characters or more: a
    /// shorter one would filter ordinary words).</param>
    public static void Scrub(JsonObject body, IReadOnlyCollection<string> secrets)
    {
        var values = secrets.Where(s => s.Length >= 6).OrderByDescending(s => s.Length).ToList();
        if (body["request"] is JsonObject request)
        {
            if (request.ContainsKey("cookies"))
            {
                request["cookies"] = Filtered;
            }
            ScrubHeaders(request);
        }
        if (body["user"] is JsonObject user)
        {
            foreach (var field in new[] { "email", "ip_address" })
            {
                if (user.ContainsKey(field))
                {
                    user[field] = Filtered;
                }
            }
        }
        Walk(body, values, depth: 0);
    }

    private static void ScrubHeaders(JsonObject request)
    {
        switch (request["headers"])
        {
            case JsonObject headers:
                foreach (var name in headers.Select(h => h.Key).Where(SensitiveHeader).ToList())
                {
                    headers[name] = Filtered;
                }
                break;
            case JsonArray pairs:
                foreach (var pair in pairs.OfType<JsonArray>().Where(p => p.Count == 2 && EventReader.Text(p[0]) is { } n && SensitiveHeader(n)))
                {
                    pair[1] = Filtered;
                }
                break;
        }
    }

    private static bool SensitiveHeader(string name) =>
        name.Equals("cookie", StringComparison.OrdinalIgnoreCase) || name.Equals("set-cookie", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("authorization", StringComparison.OrdinalIgnoreCase) || name.Equals("proxy-authorization", StringComparison.OrdinalIgnoreCase) ||
        SensitiveName().IsMatch(name);

    private static void Walk(JsonNode? node, List<string> secrets, int depth)
    {
        if (depth > 64)
        {
            return;
        }
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToList())
                {
                    if (value is JsonValue && SensitiveName().IsMatch(key))
                    {
                        o[key] = Filtered;
                    }
                    else if (value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String)
                    {
                        var text = v.GetValue<string>();
                        var clean = Clean(text, secrets);
                        if (!ReferenceEquals(clean, text))
                        {
                            o[key] = clean;
                        }
                    }
                    else
                    {
                        Walk(value, secrets, depth + 1);
                    }
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String)
                    {
                        var text = v.GetValue<string>();
                        var clean = Clean(text, secrets);
                        if (!ReferenceEquals(clean, text))
                        {
                            a[i] = clean;
                        }
                    }
                    else
                    {
                        Walk(a[i], secrets, depth + 1);
                    }
                }
                break;
        }
    }

    /// <summary>The text without secret values, e-mail addresses and card numbers; the same instance when it had none.</summary>
    internal static string Clean(string text, IReadOnlyList<string> secrets)
    {
        var clean = text;
        foreach (var secret in secrets)
        {
            if (clean.Contains(secret, StringComparison.Ordinal))
            {
                clean = clean.Replace(secret, Filtered, StringComparison.Ordinal);
            }
        }
        if (clean.Contains('@'))
        {
            clean = Email().Replace(clean, Filtered);
        }
        if (clean.Length >= 13)
        {
            clean = CardNumber().Replace(clean, m => Luhn(m.Value) ? Filtered : m.Value);
        }
        return clean == text ? text : clean;
    }

    private static bool Luhn(string candidate)
    {
        var digits = candidate.Where(char.IsAsciiDigit).Select(c => c - '0').Reverse().ToList();
        if (digits.Count is < 13 or > 19)
        {
            return false;
        }
        var sum = digits.Select((d, i) => i % 2 == 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d).Sum();
        return sum % 10 == 0;
    }

    [GeneratedRegex(@"pass(word|wd)?|pwd|secret|token|api[-_]?key|apikey|auth|credential|cookie|session|csrf|xsrf|private[-_]?key|credit[-_]?card|card[-_]?number|cvv|ssn", RegexOptions.IgnoreCase)]
    private static partial Regex SensitiveName();

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")]
    private static partial Regex Email();

    [GeneratedRegex(@"\b(?:\d[ -]?){12,18}\d\b")]
    private static partial Regex CardNumber();
}
