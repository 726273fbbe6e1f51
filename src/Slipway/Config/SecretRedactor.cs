using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace Slipway.Config;

/// <summary>Replaces secret values with [secret NAME] in every line Slipway stores or prints: build and
/// release output, app output, error messages. It knows every secret of every config it has seen in this
/// process (the current ones and those of releases still running), so an old instance printing an old
/// secret is redacted too.
///
/// Each secret is searched for in the forms apps print it (<see cref="SecretForms"/>: JSON-escaped, URL-encoded,
/// base64, hex, each line of a multi-line value). All forms of all secrets of an app are one
/// <see cref="SearchValues{T}"/> of strings (a vectorized multi-string search, Aho-Corasick where it cannot
/// vectorize), so a line without a secret, nearly every line, costs one pass however many secrets and forms
/// there are. App output reaches this whole: LocalProcessLauncher assembles lines from the pipe
/// (StreamReader.ReadLineAsync) before anything sees them, so a value written in two pieces of one line is
/// one string here.</summary>
internal sealed class SecretRedactor
{
    // Shorter values would redact ordinary words and numbers everywhere; the schema asks secrets to be long.
    private const int MinimumLength = 4;
    private const int AnchorLength = 32;
    private readonly ConcurrentDictionary<string, Patterns> _byApp = new();

    public void Register(string app, IEnumerable<(string Name, string Value)> secrets)
    {
        var added = secrets.Where(s => s.Value.Length >= MinimumLength).ToList();
        if (added.Count == 0)
        {
            return;
        }
        // Every snapshot registers its secrets again: nothing new, nothing to build.
        if (_byApp.TryGetValue(app, out var known) && added.All(known.Sources.Contains))
        {
            return;
        }
        _byApp.AddOrUpdate(app, _ => Patterns.Build(added), (_, existing) => Patterns.Build(existing.Sources.Concat(added)));
    }

    public string Redact(string? app, string text)
    {
        if (app is null || !_byApp.TryGetValue(app, out var patterns))
        {
            return text;
        }
        var span = text.AsSpan();
        StringBuilder? result = null;
        var copied = 0;
        var position = 0;
        while (position < text.Length)
        {
            var at = span[position..].IndexOfAny(patterns.Search);
            if (at < 0)
            {
                break;
            }
            var start = position + at;
            // The search finds an anchor (a form's first characters); only the whole form is a secret.
            if (patterns.LongestAt(text, start) is { } form)
            {
                result ??= new StringBuilder(text.Length);
                result.Append(span[copied..start]).Append("[secret ").Append(form.Name).Append(']');
                position = copied = start + form.Value.Length;
            }
            else
            {
                position = start + 1;
            }
        }
        return result is null ? text : result.Append(span[copied..]).ToString();
    }

    public void Forget(string app) => _byApp.TryRemove(app, out _);

    /// <summary>An app's secrets, immutable: rebuilt whole when one is added (rare), read without locks.</summary>
    private sealed class Patterns
    {
        private readonly Dictionary<char, (string Value, string Name)[]> _byFirstChar;

        private Patterns(HashSet<(string Name, string Value)> sources, Dictionary<char, (string Value, string Name)[]> byFirstChar, SearchValues<string> search)
        {
            Sources = sources;
            _byFirstChar = byFirstChar;
            Search = search;
        }

        public HashSet<(string Name, string Value)> Sources { get; }
        public SearchValues<string> Search { get; }

        public static Patterns Build(IEnumerable<(string Name, string Value)> secrets)
        {
            var sources = secrets.ToHashSet();
            // Longest first, so a secret containing another (or a form containing a shorter one) is replaced whole.
            var forms = sources.SelectMany(s => SecretForms.Of(s.Value).Select(form => (Value: form, s.Name)))
                .DistinctBy(f => f.Value).OrderByDescending(f => f.Value.Length).ThenBy(f => f.Value, StringComparer.Ordinal).ToArray();
            var byFirstChar = forms.GroupBy(f => f.Value[0]).ToDictionary(g => g.Key, g => g.ToArray());
            // Only each form's anchor (its first characters) goes into the search: the search structure grows with
            // the text it holds (whole 120 KiB secrets made it hundreds of MiB), and a match is verified whole.
            var anchors = forms.Select(f => f.Value.Length > AnchorLength ? f.Value[..AnchorLength] : f.Value).Distinct(StringComparer.Ordinal).ToArray();
            return new Patterns(sources, byFirstChar, SearchValues.Create(anchors, StringComparison.Ordinal));
        }

        /// <summary>The longest form that starts at <paramref name="index"/> (the search found one there).</summary>
        public (string Value, string Name)? LongestAt(string text, int index)
        {
            foreach (var form in _byFirstChar.GetValueOrDefault(text[index]) ?? [])
            {
                if (text.AsSpan(index).StartsWith(form.Value, StringComparison.Ordinal))
                {
                    return form;
                }
            }
            return null;
        }
    }
}
