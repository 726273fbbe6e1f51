using System.Text.Json;

namespace Slipway.Offsite;

/// <summary>What one platform snapshot in a store holds (platform/STAMP/manifest.json, sealed, written last: a snapshot
/// without it is incomplete and never restored).</summary>
/// <param name="Files">The snapshot's own files, each as platform/STAMP/NAME.sealed: state.db (the SQLite state, copied
/// by SQLite's online backup), master.key, and certs.tar when there are certificates.</param>
/// <param name="Sources">Each environment's live build's kept source, as sources/APP/BUILD.tar.sealed (shipped once per
/// build, shared by every snapshot that names it).</param>
/// <param name="Origin">The platform that took it (<see cref="PlatformOrigin"/>): its id, host, and the origin it was
/// itself restored from.</param>
/// <param name="SystemId">The system identifier of that platform's managed PostgreSQL cluster when the snapshot was
/// taken: restore-platform recovers that cluster's base backup and WAL (base/SYSID/, wal/SYSID/), never another's.</param>
internal sealed record PlatformManifest(int Version, string Stamp, DateTimeOffset TakenAt, string SlipwayVersion, string MasterKeyId,
    IReadOnlyList<string> Files, IReadOnlyList<PlatformSource> Sources, PlatformOrigin? Origin = null, string? SystemId = null)
{
    public const string Prefix = "platform/";

    public static string KeyOf(string stamp, string file) => $"{Prefix}{stamp}/{file}.sealed";

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Options);

    public static PlatformManifest Parse(string file) =>
        JsonSerializer.Deserialize<PlatformManifest>(File.ReadAllBytes(file), Options) ?? throw new UserException("The platform snapshot's manifest is empty.");

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}

/// <summary>A live build's source in the store: where it goes back on a new machine (DATA/builds/APP/BUILD.src).</summary>
internal sealed record PlatformSource(string App, string BuildId, string Key)
{
    public static string KeyOf(string app, string buildId) => $"sources/{app}/{buildId}.tar.sealed";
}
