using System.Formats.Tar;
using System.IO.Compression;
using Slipway.Api;
using Slipway.Tests.Support;

namespace Slipway.Tests.Access;

/// <summary>An uploaded source archive cannot write outside its directory.</summary>
public sealed class UploadTests
{
    [Theory]
    [InlineData("../evil.txt", null, "outside its directory")]
    [InlineData("/etc/evil", null, "outside its directory")]
    [InlineData("link", "/etc/passwd", "points outside its directory")]
    [InlineData("sub/link", "../../x", "points outside its directory")]
    public async Task An_entry_that_would_land_outside_is_refused_and_nothing_is_written(string name, string? link, string message)
    {
        var dir = TempDirs.Create("upload");
        var target = Path.Combine(dir, "into");
        Directory.CreateDirectory(target);
        using var archive = new MemoryStream();
        await using (var gzip = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true))
        await using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            var ok = new PaxTarEntry(TarEntryType.RegularFile, "fine.txt") { DataStream = new MemoryStream("fine"u8.ToArray()) };
            await writer.WriteEntryAsync(ok);
            var bad = link is null
                ? new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("bad"u8.ToArray()) }
                : new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = link };
            await writer.WriteEntryAsync(bad);
        }
        archive.Position = 0;
        var act = () => Slipway.Builds.SourceArchive.UnpackAsync(archive, target, "upload", CancellationToken.None);
        (await act.Should().ThrowAsync<UserException>()).Which.Message.Should().Contain(message);
        File.Exists(Path.Combine(dir, "evil.txt")).Should().BeFalse();
        Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Should().NotContain(p => p.EndsWith("evil", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_chain_of_links_that_each_point_inside_cannot_be_written_through()
    {
        // Found by the access review: d -> ../../../c and d/e -> ../../.. each resolve inside by their text, but
        // followed on disk d/e is two levels above the upload.
        var dir = TempDirs.Create("upload");
        var target = Path.Combine(dir, "a", "b", "into");
        Directory.CreateDirectory(target);
        using var archive = new MemoryStream();
        await using (var gzip = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true))
        await using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "c"));
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "x/y/z"));
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "x/y/z/d") { LinkName = "../../../c" });
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "x/y/z/d/e") { LinkName = "../../.." });
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "x/y/z/d/e/pwned.txt") { DataStream = new MemoryStream("pwned"u8.ToArray()) });
        }
        archive.Position = 0;

        var act = () => Slipway.Builds.SourceArchive.UnpackAsync(archive, target, "upload", CancellationToken.None);

        (await act.Should().ThrowAsync<UserException>()).Which.Message.Should().Contain("through its own link 'x/y/z/d'");
        Directory.EnumerateFiles(dir, "pwned.txt", SearchOption.AllDirectories).Should().BeEmpty();
    }
}
