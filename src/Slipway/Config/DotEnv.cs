using System.Text;

namespace Slipway.Config;

/// <summary>.env files, read and written the way dotenv (motdotla) and Docker Compose agree on:
///   KEY=value            unquoted: trimmed, ends at " #" (an inline comment)
///   KEY='value'          literal, every byte kept (may span lines)
///   KEY="value"          escapes \n \r \t \" \\ (may span lines)
///   export KEY=value     the export prefix is ignored; # lines and blank lines are skipped
/// There is no variable expansion: "$HOME" stays "$HOME", as everywhere in Slipway.</summary>
internal static class DotEnv
{
    public sealed record Problem(int Line, string Message);

    public static (IReadOnlyDictionary<string, string> Values, IReadOnlyList<Problem> Problems) Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<Problem>();
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNumber = i + 1;
            var line = lines[i].TrimStart();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..].TrimStart();
            }
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                problems.Add(new Problem(lineNumber, $"expected NAME=value, got '{Shorten(line)}'"));
                continue;
            }
            var name = line[..eq].Trim();
            var rest = line[(eq + 1)..].TrimStart();
            if (rest.Length > 0 && rest[0] is '"' or '\'' or '`')
            {
                var quote = rest[0];
                var body = new StringBuilder();
                var remainder = rest[1..];
                var closed = false;
                while (true)
                {
                    var end = FindClosing(remainder, quote);
                    if (end >= 0)
                    {
                        body.Append(remainder[..end]);
                        closed = true;
                        break;
                    }
                    body.Append(remainder);
                    if (i + 1 >= lines.Length)
                    {
                        break;
                    }
                    body.Append('\n');
                    remainder = lines[++i];
                }
                if (!closed)
                {
                    problems.Add(new Problem(lineNumber, $"{name}: the {quote} quote is never closed"));
                    continue;
                }
                values[name] = quote == '"' ? Unescape(body.ToString()) : body.ToString();
            }
            else
            {
                var comment = rest.IndexOf(" #", StringComparison.Ordinal);
                values[name] = (comment >= 0 ? rest[..comment] : rest).TrimEnd();
            }
        }
        return (values, problems);
    }

    /// <summary>A .env line that every dotenv reader turns back into exactly <paramref name="value"/>: single
    /// quotes (nothing is interpreted inside them) unless the value holds a single quote or a newline, then
    /// double quotes with escapes.</summary>
    public static string Line(string name, string value)
    {
        if (!value.Contains('\'') && !value.Contains('\n') && !value.Contains('\r'))
        {
            return $"{name}='{value}'";
        }
        var escaped = value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t");
        return $"{name}=\"{escaped}\"";
    }

    private static int FindClosing(string text, char quote)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (quote == '"' && text[i] == '\\')
            {
                i++;
                continue;
            }
            if (text[i] == quote)
            {
                return i;
            }
        }
        return -1;
    }

    private static string Unescape(string text)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                var next = text[++i];
                result.Append(next switch { 'n' => '\n', 'r' => '\r', 't' => '\t', _ => next });
                continue;
            }
            result.Append(text[i]);
        }
        return result.ToString();
    }

    private static string Shorten(string line) => line.Length > 40 ? line[..40] + "…" : line;
}
