using System.Text.Json;

namespace Slipway.Offsite;

/// <summary>Which platform wrote a snapshot: DATA/origin.json, made at the first need and never copied into a snapshot,
/// so a machine rebuilt by restore-platform (or a restore drill) is a new origin that says where it came from. Two
/// origins that shipped snapshots over the same days (a drill beside the live machine, or a lost machine that came back)
/// make restore-platform ask which one is meant, and retention in the store keeps each origin's own snapshots.</summary>
/// <param name="Id">Random, 12 hex digits.</param>
/// <param name="Host">The machine's host name, for people choosing between origins.</param>
/// <param name="RestoredFrom">The origin of the snapshot restore-platform rebuilt this platform from, if it did.</param>
internal sealed record PlatformOrigin(string Id, string Host, string? RestoredFrom)
{
    public const string FileName = "origin.json";

    /// <summary>This data directory's origin, made (and kept) when it has none yet.</summary>
    public static PlatformOrigin Of(string dataDir)
    {
        var file = Path.Combine(dataDir, FileName);
        if (File.Exists(file) && JsonSerializer.Deserialize<PlatformOrigin>(File.ReadAllBytes(file), Json) is { Id.Length: > 0 } known)
        {
            return known;
        }
        var made = New(restoredFrom: null);
        made.WriteTo(dataDir);
        return made;
    }

    public static PlatformOrigin New(string? restoredFrom) =>
        new(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)), Environment.MachineName, restoredFrom);

    public void WriteTo(string dataDir)
    {
        var file = Path.Combine(dataDir, FileName);
        var temp = file + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(this, Json));
        File.Move(temp, file, overwrite: true);
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
