namespace Slipway.Deploy;

/// <summary>What an app environment runs besides its instances (Jobs/ implements this: cron runs). Destroy stops it
/// before the final backups, so nothing writes to a database after its last backup.</summary>
internal interface IAppActivity
{
    /// <summary>Cancels the runs in progress of the environment row <paramref name="key"/> and waits until they ended.</summary>
    Task StopRunsAsync(string key);
}
