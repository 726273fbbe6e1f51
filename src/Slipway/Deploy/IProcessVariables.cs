namespace Slipway.Deploy;

/// <summary>Variables the platform adds to every process of an app besides its config (Jobs/ implements this:
/// CRON_SECRET, the messages API's URL and token). Added when a process starts, not sealed into the release.</summary>
internal interface IProcessVariables
{
    void AddTo(string app, IDictionary<string, string> environment);
}
