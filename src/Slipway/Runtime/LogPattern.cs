using System.Text;
using System.Text.RegularExpressions;

namespace Slipway.Runtime;

/// <summary>A `logs --grep` pattern: a .NET regular expression matched against each line's message (the line as the
/// app printed it), case-sensitive unless asked otherwise. Each match has a time limit, so a pattern that backtracks
/// without end fails with an error instead of holding the server. It also knows a literal every match contains, when
/// the pattern has one that reads the same in the stored JSON, so a search skips most lines without decoding them.</summary>
internal sealed class LogPattern
{
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>Characters System.Text.Json's default encoder (the one the log store writes with) writes as themselves:
    /// a message holding a literal made of these holds the same bytes in its stored line. Quotes, backslash, &amp;, ',
    /// &lt;, &gt;, +, ` and everything outside ASCII are written escaped.</summary>
    internal const string Verbatim = " !#$%()*,-./:;=?@[]^_{|}~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Letters whose ignore-case match includes a character outside ASCII (K matches the Kelvin sign U+212A),
    /// which is stored escaped: they cannot be looked for as bytes. A test checks this against the regex engine.</summary>
    internal const string FoldsOutsideAscii = "Kk";

    private readonly Regex _regex;
    private readonly byte[]? _required;
    private readonly bool _ignoreCase;

    private LogPattern(string text, Regex regex, string? required, bool ignoreCase)
    {
        Text = text;
        _regex = regex;
        _ignoreCase = ignoreCase;
        _required = required is null ? null : Encoding.ASCII.GetBytes(required);
    }

    public string Text { get; }

    /// <summary>The literal the search looks for in stored lines before decoding them (null: every line is decoded).</summary>
    public string? Required => _required is null ? null : Encoding.ASCII.GetString(_required);

    /// <summary>The pattern, or the user error that says what is wrong with it.</summary>
    public static LogPattern Parse(string pattern, bool ignoreCase = false)
    {
        var options = RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        Regex regex;
        try
        {
            try
            {
                // Linear time in the line's length whatever the pattern, where the pattern allows it (no
                // backreferences, lookarounds or atomic groups); the match timeout bounds the rest.
                regex = new Regex(pattern, options | RegexOptions.NonBacktracking, MatchTimeout);
            }
            catch (NotSupportedException)
            {
                regex = new Regex(pattern, options, MatchTimeout);
            }
        }
        catch (ArgumentException e)
        {
            throw new UserException($"--grep '{pattern}' is not a valid regular expression: {e.Message} " +
                @"It is a .NET regular expression: put a backslash before ( ) [ ] { } . * + ? | ^ $ \ to match the character itself.");
        }
        return new LogPattern(pattern, regex, RequiredLiteral(pattern, ignoreCase), ignoreCase);
    }

    public bool IsMatch(string message)
    {
        try
        {
            return _regex.IsMatch(message);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new UserException($"--grep '{Text}' took longer than {MatchTimeout.TotalMilliseconds:0} ms on one line and was stopped: " +
                "the pattern backtracks too much (nested repeats such as (a+)+ or (.*)* are the usual cause). Simplify it, " +
                "or search for a plain word of the line.");
        }
    }

    /// <summary>Where <see cref="Required"/> is in <paramref name="text"/> (stored bytes), or -1.</summary>
    public int IndexOfRequired(ReadOnlySpan<byte> text) =>
        _required is not { } literal ? 0 : _ignoreCase ? IndexOfIgnoreCase(text, literal) : text.IndexOf(literal);

    private static int IndexOfIgnoreCase(ReadOnlySpan<byte> text, byte[] literal)
    {
        var from = 0;
        var first = literal[0];
        var lower = (byte)char.ToLowerInvariant((char)first);
        var upper = (byte)char.ToUpperInvariant((char)first);
        while (from <= text.Length - literal.Length)
        {
            var at = text[from..].IndexOfAny(lower, upper);
            if (at < 0)
            {
                return -1;
            }
            at += from;
            if (at + literal.Length <= text.Length && System.Text.Ascii.EqualsIgnoreCase(text.Slice(at, literal.Length), literal))
            {
                return at;
            }
            from = at + 1;
        }
        return -1;
    }

    /// <summary>The longest run of characters every match must contain in a row, cut to what is stored verbatim, or null
    /// when the pattern has none this can be sure of. Conservative by design: alternation, inline options and
    /// lookarounds, escapes with arguments give up; anything inside a group, a class or under a quantifier is not
    /// counted. A wrong answer here would hide matching lines, a missing one only costs time.</summary>
    internal static string? RequiredLiteral(string pattern, bool ignoreCase)
    {
        var runs = new List<string>();
        var run = new StringBuilder();
        var depth = 0;
        void End()
        {
            if (run.Length > 0)
            {
                runs.Add(run.ToString());
                run.Clear();
            }
        }
        void Literal(char c)
        {
            if (depth == 0)
            {
                run.Append(c);
            }
        }
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '\\':
                    if (i + 1 >= pattern.Length)
                    {
                        return null;
                    }
                    var escaped = pattern[++i];
                    if (!char.IsAsciiLetterOrDigit(escaped))
                    {
                        Literal(escaped);
                    }
                    else if ("dDwWsSbBAzZGntrfvea".Contains(escaped, StringComparison.Ordinal))
                    {
                        End(); // a class, an anchor or a control character
                    }
                    else
                    {
                        return null; // \x41, \u0041, \p{L}, \k<name>, \1, \cA: an argument follows
                    }
                    break;
                case '[':
                    i = EndOfClass(pattern, i);
                    if (i < 0)
                    {
                        return null;
                    }
                    End();
                    break;
                case '(':
                    if (i + 1 < pattern.Length && pattern[i + 1] == '?')
                    {
                        return null; // inline options, lookarounds, named and atomic groups
                    }
                    End();
                    depth++;
                    break;
                case ')':
                    End();
                    depth--;
                    break;
                case '|':
                    if (depth == 0)
                    {
                        return null; // either side may match alone
                    }
                    break; // an alternative inside a group: the group is not counted anyway
                case '.' or '^' or '$':
                    End();
                    break;
                case '*' or '+' or '?' or '{':
                    if (c == '{' && !IsCounter(pattern, i, out i))
                    {
                        return null;
                    }
                    // The repeated character may be absent or not next to what follows.
                    if (run.Length > 0)
                    {
                        run.Length--;
                    }
                    End();
                    if (i + 1 < pattern.Length && pattern[i + 1] is '?' or '+')
                    {
                        i++; // lazy or possessive
                    }
                    break;
                default:
                    Literal(c);
                    break;
            }
        }
        End();
        string? best = null;
        foreach (var found in runs)
        {
            var start = 0;
            for (var i = 0; i <= found.Length; i++)
            {
                if (i < found.Length && Stored(found[i], ignoreCase))
                {
                    continue;
                }
                if (i - start > (best?.Length ?? 0))
                {
                    best = found[start..i];
                }
                start = i + 1;
            }
        }
        return best;
    }

    private static bool Stored(char c, bool ignoreCase) =>
        Verbatim.Contains(c, StringComparison.Ordinal) && !(ignoreCase && FoldsOutsideAscii.Contains(c, StringComparison.Ordinal));

    private static int EndOfClass(string pattern, int open)
    {
        var i = open + 1;
        if (i < pattern.Length && pattern[i] == '^')
        {
            i++;
        }
        if (i < pattern.Length && pattern[i] == ']')
        {
            i++; // a ']' first is a member
        }
        for (; i < pattern.Length; i++)
        {
            switch (pattern[i])
            {
                case '\\':
                    i++;
                    break;
                case '[':
                    return -1; // class subtraction
                case ']':
                    return i;
            }
        }
        return -1;
    }

    /// <summary>{n}, {n,} or {n,m} at <paramref name="open"/>; <paramref name="close"/> is its '}'.</summary>
    private static bool IsCounter(string pattern, int open, out int close)
    {
        close = pattern.IndexOf('}', open);
        if (close < 0)
        {
            return false;
        }
        var inside = pattern.AsSpan(open + 1, close - open - 1);
        var comma = inside.IndexOf(',');
        var low = comma < 0 ? inside : inside[..comma];
        return low.Length > 0 && AllDigits(low) && (comma < 0 || AllDigits(inside[(comma + 1)..]));
    }

    private static bool AllDigits(ReadOnlySpan<char> text)
    {
        foreach (var ch in text)
        {
            if (!char.IsAsciiDigit(ch))
            {
                return false;
            }
        }
        return true;
    }
}
