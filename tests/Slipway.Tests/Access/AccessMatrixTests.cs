using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Access;
using Slipway.Api;
using Slipway.Tests.Support;

namespace Slipway.Tests.Access;

public sealed class AccessMatrixTests
{
    [Fact]
    public void The_documented_matrix_is_the_one_the_code_enforces()
    {
        var readme = File.ReadAllText(Path.Combine(TestApps.RepoRoot, "src", "Slipway", "Access", "README.md"));
        var rows = Regex.Matches(readme, @"^\| ([a-z-]+) \| (viewer|deployer|admin|owner) \|", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        rows.Keys.Should().BeEquivalentTo(Enum.GetValues<Permission>().Select(p => JsonSpellings.Of(p)));
        foreach (var permission in Enum.GetValues<Permission>())
        {
            rows[JsonSpellings.Of(permission)].Should().Be(JsonSpellings.Of(AccessMatrix.Needs(permission)), $"{permission} in README.md");
        }
    }

    [Fact]
    public void Roles_reach_only_their_scope()
    {
        var staging = new Principal(PrincipalKind.User, "u", "dave", [new Grant(Role.Deployer, "shop", "staging")]);
        staging.Can(Permission.Deploy, AppRef.Of("shop", "staging")).Should().BeTrue();
        staging.Can(Permission.Deploy, AppRef.Of("shop", "production")).Should().BeFalse();
        staging.Can(Permission.Read, AppRef.Of("billing", "staging")).Should().BeFalse();
        staging.Can(Permission.RevealSecrets, AppRef.Of("shop", "staging")).Should().BeFalse();
        staging.MayGrant(new Grant(Role.Viewer, "shop", "staging")).Should().BeTrue();
        staging.MayGrant(new Grant(Role.Deployer, "shop")).Should().BeFalse("wider than its own scope");
        staging.MayGrant(new Grant(Role.Admin, "shop", "staging")).Should().BeFalse("larger than its own role");

        var appAdmin = new Principal(PrincipalKind.User, "u", "ann", [new Grant(Role.Admin, "shop"), new Grant(Role.Viewer)]);
        appAdmin.Can(Permission.Destroy, AppRef.Of("shop", "staging")).Should().BeTrue();
        appAdmin.Can(Permission.Read, AppRef.Of("billing", "production")).Should().BeTrue();
        appAdmin.Can(Permission.Deploy, AppRef.Of("billing", "production")).Should().BeFalse();
        appAdmin.Can(Permission.ManageUsers, null).Should().BeFalse();
        new Principal(PrincipalKind.User, "u", "o", [new Grant(Role.Admin)]).Can(Permission.ManageUsers, null).Should().BeFalse();
        new Principal(PrincipalKind.User, "u", "o", [new Grant(Role.Owner)]).Can(Permission.ManageUsers, null).Should().BeTrue();
    }

    [Fact]
    public async Task Every_endpoint_declares_who_may_call_it_or_is_deliberately_local_only()
    {
        await using var platform = await TestPlatform.StartAsync();
        // The server's owner only: stopping the platform and its apps, starting another binary on the machine, a password set by hand.
        var localOnly = new HashSet<string>(["POST /v1/shutdown", "POST /v1/platform/upgrade", "POST /v1/users/{name}/password"]);
        var endpoints = platform.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().ToList();
        endpoints.Should().HaveCountGreaterThan(50);
        var undeclared = endpoints
            .Where(e => e.Metadata.GetMetadata<AccessRequirement>() is null && e.Metadata.GetMetadata<PublicEndpoint>() is null)
            .Select(e => $"{string.Join(",", e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [])} {e.RoutePattern.RawText}")
            .ToList();
        undeclared.Should().BeEquivalentTo(localOnly, "an endpoint without a requirement is refused to everyone but the server's owner: make that deliberate");
        endpoints.Where(e => e.Metadata.GetMetadata<PublicEndpoint>() is not null).Select(e => e.RoutePattern.RawText)
            .Should().BeEquivalentTo(["/v1/ping", "/healthz", "/v1/setup", "/v1/login", "/v1/cli/linux-x64", "/hooks/{forge}/{app}",
                // The dashboard's login form and the files it loads (no page or fragment of it is public).
                "/login", "/assets/{name}"]);
    }
}
