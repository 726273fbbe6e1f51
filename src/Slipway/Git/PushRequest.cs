namespace Slipway.Git;

/// <summary>One ref a push updates, as git's pre-receive hook reads it: "OLD NEW REF". A zero id is "none": a new
/// branch has no old one, a deleted branch no new one.</summary>
internal sealed record RefUpdate(string Old, string New, string Ref)
{
    public bool IsCreate => IsZero(Old);

    public bool IsDelete => IsZero(New);

    /// <summary>The branch name of refs/heads/NAME, else null (a tag, a note).</summary>
    public string? Branch => Ref.StartsWith("refs/heads/", StringComparison.Ordinal) ? Ref["refs/heads/".Length..] : null;

    public bool IsTag => Ref.StartsWith("refs/tags/", StringComparison.Ordinal);

    private static bool IsZero(string id) => id.All(c => c == '0');
}

/// <summary>What the pre-receive hook hands the platform: where git keeps the pushed objects until the push is
/// accepted (the quarantine), and the refs it would update.</summary>
internal sealed record PushRequest(string Quarantine, IReadOnlyList<RefUpdate> Updates)
{
    /// <summary>The hook's message: "quarantine PATH", one "OLD NEW REF" line per ref, "end". Null when it is cut short
    /// (the hook was stopped while writing) or malformed.</summary>
    public static PushRequest? Parse(string text)
    {
        var lines = text.Split('\n');
        if (lines.Length < 2 || !lines[0].StartsWith("quarantine ", StringComparison.Ordinal))
        {
            return null;
        }
        var updates = new List<RefUpdate>();
        foreach (var line in lines.Skip(1))
        {
            if (line == "end")
            {
                return new PushRequest(lines[0]["quarantine ".Length..], updates);
            }
            var parts = line.Split(' ');
            if (parts.Length != 3 || !IsObjectId(parts[0]) || !IsObjectId(parts[1]) || !parts[2].StartsWith("refs/", StringComparison.Ordinal))
            {
                return null;
            }
            updates.Add(new RefUpdate(parts[0], parts[1], parts[2]));
        }
        return null;
    }

    private static bool IsObjectId(string id) => id.Length is 40 or 64 && id.All(char.IsAsciiHexDigitLower);
}
