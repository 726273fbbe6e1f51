namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>What a channel keeps sealed under the master key, as one JSON value: the webhook URL or the SMTP server's
/// URL (with its user), a webhook's signing secret, the SMTP password.</summary>
internal sealed record ChannelSecrets(string Url, string? SigningSecret, string? SmtpPassword)
{
    /// <summary>Every text an error message must never show (whole, or the parts of the URL that may be secret).</summary>
    public IEnumerable<string> All()
    {
        var url = new Uri(Url, UriKind.Absolute);
        return new[]
        {
            Url, url.AbsoluteUri, url.UserInfo, Uri.UnescapeDataString(url.UserInfo), url.PathAndQuery is "/" ? "" : url.PathAndQuery,
            url.AbsolutePath is "/" ? "" : url.AbsolutePath, url.Query, SigningSecret ?? "", SmtpPassword ?? "",
        }.Where(s => s.Length >= 4).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length);
    }
}
