using System.Collections.Concurrent;

namespace Slipway.Config;

/// <summary>Replaces secret values with [secret NAME] in every line Slipway stores or prints: build and
/// release output, app output, error messages. It knows every secret of every config it has seen in this
/// process (the current ones and those of releases still running), so an old instance printing an old
/// secret is redacted too.</summary>
internal sealed class SecretRedactor
{
    // Shorter values would redact ordinary words and numbers everywhere; the schema asks secrets to be long.
    private const int MinimumLength = 4;
    private readonly ConcurrentDictionary<string, (string Value, string Name)[]> _byApp = new();

    public void Register(string app, IEnumerable<(string Name, string Value)> secrets)
    {
        var added = secrets.Where(s => s.Value.Length >= MinimumLength).Select(s => (s.Value, s.Name)).ToList();
        if (added.Count == 0)
        {
            return;
        }
        _byApp.AddOrUpdate(app,
            _ => Sorted(added),
            (_, existing) => Sorted(existing.Concat(added)));
    }

    public string Redact(string? app, string text)
    {
        if (app is null || !_byApp.TryGetValue(app, out var secrets))
        {
            return text;
        }
        foreach (var (value, name) in secrets)
        {
            if (text.Contains(value, StringComparison.Ordinal))
            {
                text = text.Replace(value, $"[secret {name}]", StringComparison.Ordinal);
            }
        }
        return text;
    }

    public void Forget(string app) => _byApp.TryRemove(app, out _);

    // Longest first, so a secret containing another is replaced whole.
    private static (string, string)[] Sorted(IEnumerable<(string Value, string Name)> secrets) =>
        secrets.DistinctBy(s => s.Value).OrderByDescending(s => s.Value.Length).ToArray();
}
