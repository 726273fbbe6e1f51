using Microsoft.Data.Sqlite;

namespace Slipway.State;

/// <summary>Rows a subsystem above State keeps in the platform's database with values sealed under the master
/// key (Jobs' messages, Databases' passwords). Key rotation (<see cref="Store.ReencryptAll"/>) hands every
/// registered participant its connection and transaction, so all rows move to the new key in one commit or not
/// at all, whoever owns them; State never names their tables.
///
/// Implementations are registered in DI by their subsystem and handed to the <see cref="Store"/> when it is
/// built, so they must not depend on the Store themselves.</summary>
internal interface ISealedRows
{
    /// <summary>Rewrites each sealed value of the participant's rows through <paramref name="reencrypt"/> (which
    /// takes a sealed value, or a plaintext one, and returns it sealed under the newest key), inside
    /// <paramref name="transaction"/>. Must not commit, and must not catch what <paramref name="reencrypt"/>
    /// throws: the rotation then rolls back whole and is finished at the next start.</summary>
    void Reseal(SqliteConnection connection, SqliteTransaction transaction, Func<string, string> reencrypt);
}
