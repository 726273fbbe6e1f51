namespace Slipway.Git;

/// <summary>Which environment a pushed branch deploys to. Pure: the rules come from the app's git remote.
/// An exact name wins over patterns, and a longer pattern over a shorter one ("release/hotfix/*" before "release/*").</summary>
internal static class BranchMap
{
    /// <summary>What `slipway git create` starts with, as Heroku and Render do: main is production.</summary>
    public static readonly IReadOnlyList<BranchRule> Defaults = [new("main", "production"), new("staging", "staging")];

    public static BranchRule? Match(string branch, IEnumerable<BranchRule> rules) =>
        rules.Where(r => r.Matches(branch))
            .OrderBy(r => r.IsPattern)
            .ThenByDescending(r => r.Pattern.Length)
            .FirstOrDefault();

    /// <summary>A branch name or pattern as git allows one (check-ref-format's rules that matter here), "*" only at
    /// the end.</summary>
    public static void Validate(string pattern)
    {
        var name = pattern.EndsWith('*') ? pattern[..^1] : pattern;
        if (pattern.Length == 0 || pattern.Length > 200 || name.Contains('*') || name.StartsWith('/') || name.StartsWith('-')
            || name.Contains("..", StringComparison.Ordinal) || name.Contains("//", StringComparison.Ordinal) || name.Contains("@{", StringComparison.Ordinal)
            || name.EndsWith(".lock", StringComparison.Ordinal) || name.Any(c => c <= ' ' || c is '~' or '^' or ':' or '?' or '[' or '\\' or (char)127))
        {
            throw new UserException($"'{pattern}' is not a branch name or pattern: give a branch as git names it (main, release/2026), " +
                "or a prefix ending in * (release/*).");
        }
    }

    /// <summary>"main → production, staging → staging", for messages.</summary>
    public static string Describe(IEnumerable<BranchRule> rules)
    {
        var list = rules.Select(r => $"{r.Pattern} → {r.Env}").ToList();
        return list.Count == 0 ? "no branch deploys" : string.Join(", ", list);
    }
}
