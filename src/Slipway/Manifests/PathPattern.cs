using System.Text;
using System.Text.RegularExpressions;

namespace Slipway.Manifests;

/// <summary>A route source in the syntax vercel.json (path-to-regexp) uses, compiled once per deployment:
///
///   "/blog/:slug"        one segment, captured as slug
///   "/docs/:page?"       the segment (and its "/") may be missing
///   "/api/:path*"        zero or more segments; "/api" and "/api/a/b" both match, path = "" or "a/b"
///   "/files/:path+"      one or more segments
///   "/user/:id(\\d+)"    a segment that must match the regular expression
///   "/(.*)"              an unnamed group, captured as $1 (then $2, ...)
///
/// Matching is case-insensitive, ignores one trailing "/", and always covers the whole path. A destination
/// names captures as ":slug" or "$1"; <see cref="Substitute"/> fills them in.</summary>
internal sealed partial class PathPattern
{
    // Guards against a hostile path on a pattern that backtracks badly. The clock runs from the start of a match, so
    // nothing but matching may happen inside it: hence the interpreter, not RegexOptions.Compiled, whose first match
    // on every new regex JITs it (1-10 ms of CPU, past 50 ms on a busy machine), and a request that came first after
    // a deployment lost its CORS answer, headers, rewrite or rate limit. Interpreted, a path matches in about a µs.
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);
    private readonly Regex _regex;
    private readonly string[] _names;

    private PathPattern(string source, Regex regex, string[] names)
    {
        Source = source;
        _regex = regex;
        _names = names;
    }

    public string Source { get; }

    /// <summary>Compiles <paramref name="source"/> or says in <paramref name="error"/> what is wrong with it.</summary>
    public static PathPattern? TryCompile(string source, out string? error)
    {
        error = null;
        if (!source.StartsWith('/'))
        {
            error = $"a path pattern must start with \"/\", got \"{source}\"";
            return null;
        }
        var names = new List<string>();
        var regex = new StringBuilder("^");
        var unnamed = 0;
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            if (c == ':' || c == '(')
            {
                string name;
                if (c == ':')
                {
                    var start = ++i;
                    while (i < source.Length && (char.IsAsciiLetterOrDigit(source[i]) || source[i] == '_'))
                    {
                        i++;
                    }
                    if (i == start)
                    {
                        error = $"\":\" at position {start} must be followed by a parameter name, like \"/:slug\"";
                        return null;
                    }
                    name = source[start..i];
                    if (names.Contains(name))
                    {
                        error = $"the parameter \":{name}\" appears twice";
                        return null;
                    }
                }
                else
                {
                    name = (++unnamed).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                var body = "[^/]+?";
                if (i < source.Length && source[i] == '(')
                {
                    var close = ClosingParen(source, i);
                    if (close < 0)
                    {
                        error = $"the group starting at position {i} is never closed with \")\"";
                        return null;
                    }
                    body = source[(i + 1)..close];
                    if (body.Length == 0)
                    {
                        error = $"the group at position {i} is empty; write \"(.*)\" to match anything";
                        return null;
                    }
                    i = close + 1;
                }
                var modifier = i < source.Length && source[i] is '?' or '*' or '+' ? source[i++] : '\0';
                names.Add(name);
                // The "/" before an optional or repeated parameter belongs to it: "/api/:path*" matches "/api".
                var slash = regex.Length > 1 && regex[^1] == '/' && modifier != '\0';
                if (slash)
                {
                    regex.Length--;
                }
                var prefix = slash ? "/" : "";
                regex.Append(modifier switch
                {
                    '?' => $"(?:{prefix}(?<p{names.Count - 1}>{body}))?",
                    '*' => $"(?:{prefix}(?<p{names.Count - 1}>(?:{body})(?:/(?:{body}))*))?",
                    '+' => $"{prefix}(?<p{names.Count - 1}>(?:{body})(?:/(?:{body}))*)",
                    _ => $"(?<p{names.Count - 1}>{body})",
                });
                continue;
            }
            if (c == '\\' && i + 1 < source.Length)
            {
                regex.Append(Regex.Escape(source[i + 1].ToString()));
                i += 2;
                continue;
            }
            if (c == ')')
            {
                error = $"unmatched \")\" at position {i}";
                return null;
            }
            regex.Append(c == '*' ? ".*" : Regex.Escape(c.ToString()));
            i++;
        }
        if (regex.Length > 2 && regex[^1] == '/')
        {
            regex.Length--;
        }
        regex.Append("/?$");
        try
        {
            var compiled = new Regex(regex.ToString(),
                RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture,
                MatchTimeout);
            return new PathPattern(source, compiled, [.. names]);
        }
        catch (ArgumentException e)
        {
            error = $"not a valid pattern: {e.Message}";
            return null;
        }
    }

    /// <summary>The captures when <paramref name="path"/> matches, else null. A pattern whose regular
    /// expression runs too long on a hostile path counts as not matching.</summary>
    public PathMatch? Match(string path)
    {
        Match match;
        try
        {
            match = _regex.Match(path);
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
        if (!match.Success)
        {
            return null;
        }
        if (_names.Length == 0)
        {
            return PathMatch.Empty;
        }
        var values = new string[_names.Length];
        for (var n = 0; n < _names.Length; n++)
        {
            var group = match.Groups[$"p{n}"];
            values[n] = group.Success ? group.Value : "";
        }
        return new PathMatch(_names, values);
    }

    /// <summary>Fills ":name" and "$N" in <paramref name="destination"/> with the captures of <paramref name="match"/>.
    /// Names the source does not capture are left as written (a port in "http://host:8080" stays a port).</summary>
    public static string Substitute(string destination, PathMatch match)
    {
        if (match.Count == 0 || (!destination.Contains(':') && !destination.Contains('$')))
        {
            return destination;
        }
        return Placeholder().Replace(destination, m =>
        {
            var name = m.Value[1..].TrimEnd('*', '+');
            return match.Get(name) ?? m.Value;
        });
    }

    private static int ClosingParen(string source, int open)
    {
        var depth = 0;
        for (var i = open; i < source.Length; i++)
        {
            switch (source[i])
            {
                case '\\':
                    i++;
                    break;
                case '(':
                    depth++;
                    break;
                case ')' when --depth == 0:
                    return i;
            }
        }
        return -1;
    }

    [GeneratedRegex(@"[:$][A-Za-z0-9_]+[*+]?")]
    private static partial Regex Placeholder();
}

/// <summary>What a <see cref="PathPattern"/> captured: parameter names ("slug", or "1" for unnamed groups) and values.</summary>
internal sealed class PathMatch(string[] names, string[] values)
{
    public static readonly PathMatch Empty = new([], []);

    public int Count => names.Length;

    public string? Get(string name)
    {
        for (var i = 0; i < names.Length; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return values[i];
            }
        }
        return null;
    }
}
