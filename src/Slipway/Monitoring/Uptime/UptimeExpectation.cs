using System.Globalization;

namespace Slipway.Monitoring.Uptime;

/// <summary>Which HTTP statuses count as up (`--expect`): codes ("200", "200,204") and classes ("2xx", "2xx,3xx").
/// Redirects are not followed, so a 3xx is an answer like any other. The default is 2xx or 3xx.</summary>
internal sealed record UptimeExpectation(IReadOnlyList<int> Codes, IReadOnlyList<int> Classes)
{
    public static readonly UptimeExpectation Default = new([], [2, 3]);

    public bool Matches(int status) => Codes.Contains(status) || Classes.Contains(status / 100);

    /// <summary>"200", "2xx,3xx": the spelling parsed back by <see cref="Parse"/>.</summary>
    public override string ToString() =>
        string.Join(',', Codes.Select(c => c.ToString(CultureInfo.InvariantCulture)).Concat(Classes.Select(c => $"{c}xx")));

    public static UptimeExpectation Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Default;
        }
        var codes = new List<int>();
        var classes = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.Length == 3 && part[0] is >= '1' and <= '5' && part[1..].Equals("xx", StringComparison.OrdinalIgnoreCase))
            {
                classes.Add(part[0] - '0');
            }
            else if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599)
            {
                codes.Add(code);
            }
            else
            {
                throw new UserException($"--expect {text}: '{part}' is not an HTTP status; give a code (200), a list (200,204) or a class (2xx).");
            }
        }
        return codes.Count + classes.Count == 0 ? Default : new UptimeExpectation(codes.Distinct().ToList(), classes.Distinct().ToList());
    }
}
