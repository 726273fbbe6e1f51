namespace Slipway.Git;

/// <summary>A branch, or branches by a pattern ending in "*" ("release/*"), that deploy to one environment.</summary>
internal sealed record BranchRule(string Pattern, string Env)
{
    public bool IsPattern => Pattern.EndsWith('*');

    public bool Matches(string branch) =>
        IsPattern ? branch.StartsWith(Pattern[..^1], StringComparison.Ordinal) && branch.Length > Pattern.Length - 1 : branch == Pattern;
}
