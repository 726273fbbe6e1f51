using System.Text.Json;

namespace Slipway.Databases;

/// <summary>What an in-place replacement (<see cref="LiveReplacement"/>) has under way, so a platform killed in the middle
/// can finish it at its next start on whichever server holds the database (the managed cluster's own start-up sweep reaches
/// only the managed cluster). One JSON file per replacement in DATA/run/replacements (0700): written, flushed and renamed into
/// place before the app's role is shut out, written again with <see cref="Retired"/> before the switch (and with
/// <see cref="Kept"/> before the retired database is renamed), removed when nothing is left to do.</summary>
/// <param name="Id">The file's name.</param>
/// <param name="DatabaseId">The live database's record (its lock is held while the journal is settled).</param>
/// <param name="App">Its environment's row key, for events; kept here because the record may be gone by the next start.</param>
/// <param name="Role">The app's role, shut out (NOLOGIN) for the final safety backup.</param>
/// <param name="Live">The live database's name.</param>
/// <param name="Replacement">The database that takes its place.</param>
/// <param name="Retired">The name the live database is kept under after the switch, until its safety backup verified.</param>
/// <param name="SafetyBackup">The safety backup's id, once dumped.</param>
/// <param name="Kept">The detached name the retired database is being kept under, when its safety backup did not verify.</param>
internal sealed record ReplacementJournal(
    string Id, string DatabaseId, string App, string BaseApp, string Env, string Name, string VarName, string Server, string Role, string Live, string Replacement,
    string? Retired = null, string? SafetyBackup = null, string? Kept = null)
{
    public static string DirectoryIn(string dataDir) => Path.Combine(dataDir, "run", "replacements");

    public static ReplacementJournal Begin(DatabaseRecord live, string replacement) =>
        new(State.Ids.New("rp"), live.Id, live.App, live.BaseApp, live.Env, live.Name, live.VarName, live.Server, live.RoleName, live.DbName, replacement);

    /// <summary>Every journal under <paramref name="dataDir"/>; an unreadable one (a hand edit) is left where it is and named in
    /// <paramref name="unreadable"/>.</summary>
    public static IReadOnlyList<ReplacementJournal> ReadAll(string dataDir, List<string> unreadable)
    {
        var dir = DirectoryIn(dataDir);
        if (!Directory.Exists(dir))
        {
            return [];
        }
        var journals = new List<ReplacementJournal>();
        foreach (var path in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                journals.Add(JsonSerializer.Deserialize<ReplacementJournal>(File.ReadAllText(path)) ?? throw new JsonException("empty"));
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                unreadable.Add(path);
            }
        }
        return journals;
    }

    /// <summary>The CLI flags naming the environment and the database: "--app shop --env staging --name main".</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Flags => new AppRef(BaseApp, Env.Length > 0 ? Env : AppRef.Production).Flags + " --name " + Name;

    public bool Exists(string dataDir) => File.Exists(PathIn(dataDir));

    /// <summary>Durable when it returns: flushed to disk, then renamed over the previous version (a torn file cannot be read).</summary>
    public void Write(string dataDir)
    {
        var dir = DirectoryIn(dataDir);
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var path = PathIn(dataDir);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(file, this);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    public void Delete(string dataDir) => File.Delete(PathIn(dataDir));

    private string PathIn(string dataDir) => Path.Combine(DirectoryIn(dataDir), Id + ".json");
}
