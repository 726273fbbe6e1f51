using Microsoft.Data.Sqlite;

namespace Slipway.State;

/// <summary>Rows a subsystem above State keeps per app row (Jobs' cron state, runs and messages). Destroying an
/// app (<see cref="Store.DeleteApp"/>) hands every registered participant the destroy's connection and
/// transaction, so the app goes whole or not at all; State never names their tables.
///
/// Implementations are registered in DI by their subsystem and handed to the <see cref="Store"/> when it is
/// built, so they must not depend on the Store themselves.</summary>
internal interface IAppRows
{
    /// <summary>Deletes the participant's rows of app row <paramref name="app"/> inside
    /// <paramref name="transaction"/>, before State deletes its own (so a reference to them may be declared
    /// later). <paramref name="record"/> is the app's row, null if it is already gone. Must not commit.</summary>
    void DeleteApp(SqliteConnection connection, SqliteTransaction transaction, string app, AppRecord? record);
}
