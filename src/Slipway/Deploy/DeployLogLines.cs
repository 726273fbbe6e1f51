namespace Slipway.Deploy;

/// <summary>How a deployment's log reads on a terminal, the same for `slipway deploy` and for `git push`:
/// "==> step" for the deployment's own lines, "    | line" for a failed step's last lines, "    [service] line"
/// for what build and release commands print; status entries are for programs and print nothing.</summary>
internal static class DeployLogLines
{
    public static string? Format(string kind, string? service, string message) => kind switch
    {
        "status" => null,
        "deploy" => "==> " + message,
        "tail" => "    | " + message,
        _ => (service is null ? "    " : $"    [{service}] ") + message,
    };
}
