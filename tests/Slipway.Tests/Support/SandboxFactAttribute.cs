using Slipway.Sandbox;

namespace Slipway.Tests.Support;

/// <summary>A test of the app sandbox: it needs what isolation needs (root, bubblewrap, cgroups), which test.sh
/// installs and CI has; elsewhere it is skipped, saying what is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SandboxFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Missing = new(() =>
    {
        var host = HostSupport.Detect();
        return host.CanSandbox && host.CanLimit ? null : "needs the app sandbox: " + string.Join("; ", host.Gaps());
    });

    public SandboxFactAttribute()
    {
        if (Missing.Value is { } why)
        {
            Skip = why;
        }
    }
}

/// <summary><see cref="SandboxFactAttribute"/> for a theory.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SandboxTheoryAttribute : TheoryAttribute
{
    public SandboxTheoryAttribute()
    {
        if (new SandboxFactAttribute().Skip is { } why)
        {
            Skip = why;
        }
    }
}
