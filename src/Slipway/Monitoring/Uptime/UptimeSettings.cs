using System.Globalization;

namespace Slipway.Monitoring.Uptime;

/// <summary>The settings a user gives (`uptime add` and `uptime set`), as typed: each null is left as it is (or the
/// default). <see cref="Parse"/> checks them all at once and reports every mistake with its flag.</summary>
internal sealed record UptimeSettings(string? Every, string? Expect, string? Timeout, double? Slo, string? Path)
{
    /// <summary>The validated values (null where not given).</summary>
    public (TimeSpan? Every, UptimeExpectation? Expect, TimeSpan? Timeout, double? Slo, string? Path) Parse(UptimeOptions options)
    {
        var errors = new List<string>();
        TimeSpan? every = null, timeout = null;
        UptimeExpectation? expect = null;
        if (Every is not null)
        {
            if (!Durations.TryParse(Every, out var value) || value < options.MinInterval || value > TimeSpan.FromDays(1))
            {
                errors.Add($"--every {Every}: give an interval like 1m or 30s, from {Durations.Format(options.MinInterval)} to 24h.");
            }
            every = value;
        }
        if (Timeout is not null)
        {
            if (!Durations.TryParse(Timeout, out var value) || value <= TimeSpan.Zero || value > TimeSpan.FromMinutes(1))
            {
                errors.Add($"--timeout {Timeout}: give a duration like 10s, above 0 and at most 1m.");
            }
            timeout = value;
        }
        if (Expect is not null)
        {
            try
            {
                expect = UptimeExpectation.Parse(Expect);
            }
            catch (UserException e)
            {
                errors.Add(e.Message);
            }
        }
        if (Slo is { } slo && (double.IsNaN(slo) || slo <= 0 || slo > 100))
        {
            errors.Add($"--slo {slo.ToString(CultureInfo.InvariantCulture)}: give the share of time the check should be up, in percent, like 99.9.");
        }
        if (Path is not null && (!Path.StartsWith('/') || Path.Any(char.IsWhiteSpace) || Path.Length > 500))
        {
            errors.Add($"--path {Path}: give a path on the app's own host, like /health.");
        }
        if (errors.Count > 0)
        {
            throw new UserException(string.Join(" ", errors));
        }
        return (every, expect, timeout, Slo, Path);
    }
}
