using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Errors;

/// <summary>Destroying an app environment deletes its issues, events and project (its DSN stops working). They live in
/// errors.db, outside the destroy's transaction: a destroy that then fails has lost only its error history.</summary>
internal sealed class ErrorRows(ErrorStore errors, SourceMaps.SourceMapStore maps) : IAppRows
{
    public void DeleteApp(SqliteConnection connection, SqliteTransaction transaction, string app, AppRecord? record)
    {
        errors.DeleteApp(app);
        // Source maps are the app's, shared by its environments: they go with the app.
        if (record is null || record.Ref.IsProduction)
        {
            maps.DeleteApp(record?.App ?? app);
        }
    }
}
