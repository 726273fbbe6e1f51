using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;

namespace Slipway.Config;

/// <summary>The forms in which apps print a secret, each of which <see cref="SecretRedactor"/> replaces:
///
///   as is                     sk_live_abc
///   JSON-escaped              JSON.stringify (" \ and control characters), ensure_ascii (Python: also \u00fc),
///                             System.Text.Json's default encoder (also \u002B, \u0026, \u003C, ... in upper case)
///   URL-encoded               encodeURIComponent, Uri.EscapeDataString, form encoding (space as +), %xx lower case
///   base64                    standard and URL-safe, padded or not, and inside a longer base64 text (Basic
///                             auth of "user:secret"): the characters that depend on the secret alone, at each
///                             of the three byte offsets
///   hex                       of the UTF-8 bytes, lower and upper case
///   each line                 of a multi-line value (a PEM key printed line by line), but its ----- marker lines
///
/// Not caught (README.md in this folder): other encodings (gzip, encryption, a hash), a secret split across lines,
/// formatted with separators, or printed in pieces by separate log statements.</summary>
internal static class SecretForms
{
    // An encoded form shorter than this (of a 4-character secret) would redact chance matches in ordinary text.
    private const int MinimumEncoded = 6;
    private const int MinimumLine = 8;

    public static IReadOnlyList<string> Of(string value)
    {
        var forms = new List<string> { value };
        var bytes = Encoding.UTF8.GetBytes(value);
        AddEncoded(forms, JsonEscaped(value, asciiOnly: false));
        AddEncoded(forms, JsonEscaped(value, asciiOnly: true));
        AddEncoded(forms, JavaScriptEncoder.Default.Encode(value));
        AddEncoded(forms, JavaScriptEncoder.UnsafeRelaxedJsonEscaping.Encode(value));
        foreach (var url in new[] { Uri.EscapeDataString(value), EncodeUriComponent(value), WebUtility.UrlEncode(value) })
        {
            AddEncoded(forms, url);
            AddEncoded(forms, LowerPercentHex(url));
        }
        var whole = Convert.ToBase64String(bytes);
        foreach (var base64 in Base64Cores(bytes).Prepend(whole.TrimEnd('=')).Prepend(whole))
        {
            AddEncoded(forms, base64);
            AddEncoded(forms, base64.Replace('+', '-').Replace('/', '_'));
        }
        AddEncoded(forms, Convert.ToHexStringLower(bytes));
        AddEncoded(forms, Convert.ToHexString(bytes));
        if (value.Contains('\n'))
        {
            foreach (var line in value.Split('\n'))
            {
                var trimmed = line.Trim();
                if (trimmed.Length >= MinimumLine && !trimmed.StartsWith("-----", StringComparison.Ordinal))
                {
                    AddEncoded(forms, trimmed);
                }
            }
        }
        return forms.Distinct(StringComparer.Ordinal).ToList();
    }

    private static void AddEncoded(List<string> forms, string form)
    {
        if (form.Length >= MinimumEncoded)
        {
            forms.Add(form);
        }
    }

    /// <summary>As a JSON string's body: JSON.stringify escapes " \ and control characters; ensure_ascii-style
    /// serializers also escape everything beyond ASCII (lower-case hex, UTF-16 units).</summary>
    private static string JsonEscaped(string value, bool asciiOnly)
    {
        var result = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': result.Append("\\\""); break;
                case '\\': result.Append("\\\\"); break;
                case '\n': result.Append("\\n"); break;
                case '\r': result.Append("\\r"); break;
                case '\t': result.Append("\\t"); break;
                case '\b': result.Append("\\b"); break;
                case '\f': result.Append("\\f"); break;
                default:
                    if (c < 0x20 || (asciiOnly && c > 0x7e))
                    {
                        result.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        result.Append(c);
                    }
                    break;
            }
        }
        return result.ToString();
    }

    /// <summary>JavaScript's encodeURIComponent: as Uri.EscapeDataString, but ! ' ( ) * stay.</summary>
    private static string EncodeUriComponent(string value) =>
        Uri.EscapeDataString(value).Replace("%21", "!").Replace("%27", "'").Replace("%28", "(").Replace("%29", ")").Replace("%2A", "*");

    private static string LowerPercentHex(string encoded)
    {
        var result = encoded.ToCharArray();
        for (var i = 0; i + 2 < result.Length; i++)
        {
            if (result[i] == '%')
            {
                result[i + 1] = char.ToLowerInvariant(result[i + 1]);
                result[i + 2] = char.ToLowerInvariant(result[i + 2]);
            }
        }
        return new string(result);
    }

    /// <summary>For each byte offset 0..2 at which the secret can start in a base64 text: the characters of the
    /// encoding that depend on the secret's bytes alone (6 bits each). They appear in the secret's own encoding
    /// (padded or not) and in any longer text's encoding that holds it at that offset.</summary>
    private static IEnumerable<string> Base64Cores(byte[] bytes)
    {
        for (var shift = 0; shift < 3; shift++)
        {
            var shifted = new byte[shift + bytes.Length];
            bytes.CopyTo(shifted, shift);
            var encoded = Convert.ToBase64String(shifted);
            var first = (8 * shift + 5) / 6;
            var end = 8 * (shift + bytes.Length) / 6;
            if (end > first)
            {
                yield return encoded[first..end];
            }
        }
    }
}
