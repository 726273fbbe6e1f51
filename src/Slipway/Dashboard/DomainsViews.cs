namespace Slipway.Dashboard;

// What an app environment's Domains tab renders (DomainsData builds it from what GET /v1/domains answers).

/// <summary>The custom domains of one app environment, with their certificates.</summary>
/// <param name="AddAction">POST path of the JSON API's domains add (with ?env=), or null when the caller may not manage domains.</param>
/// <param name="Https">Whether the platform serves HTTPS (without it no certificate is issued).</param>
/// <param name="Issuer">Where certificates come from (the ACME directory's name, as `slipway domains ls` says).</param>
/// <param name="Fragment">Where the tab's content (DomainsContent) refreshes from.</param>
public sealed record DomainsView(AppRow App, IReadOnlyList<DomainRow> Domains, string? AddAction, bool Https, string Issuer, string Fragment,
    DateTimeOffset Now);

/// <summary>A domain (Api.DomainDto) and what the caller may do with it.</summary>
/// <param name="Id">A stable id for the page's elements.</param>
/// <param name="Certificate">acme, manual, pending, failing or off (Domains.CustomDomains.View).</param>
/// <param name="Url">Where the domain answers (http://HOST, with the edge's port when it is not 80).</param>
/// <param name="RemoveAction">DELETE path of the JSON API, or null when the caller may not manage the environment's domains.</param>
/// <param name="RenewAction">POST path that orders a new certificate, or null (no right, or a certificate the API does not renew: copied in, or no HTTPS).</param>
/// <param name="CheckPath">The page's fragment with the DNS check of the name (GET /v1/domains/HOST/check's answer).</param>
public sealed record DomainRow(string Host, string Id, IReadOnlyList<string> RedirectFrom, bool Hsts, string Certificate, DateTimeOffset? NotAfter,
    DateTimeOffset? RenewAt, DateTimeOffset? NextAttemptAt, string? LastError, string Url, string? RemoveAction, string? RenewAction, string CheckPath);

/// <summary>Where a name points, seen from the server (Domains.DomainCheckResult).</summary>
/// <param name="Verdict">here, elsewhere, unknown or unresolved.</param>
public sealed record DomainCheckView(string Host, IReadOnlyList<string> Addresses, string Verdict, string Message);
