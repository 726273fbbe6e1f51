using System.Text;

namespace Slipway.Cli;

/// <summary>Which system trust store this machine has: how the development root gets into it.</summary>
internal enum TrustStore
{
    /// <summary>Debian, Ubuntu: /usr/local/share/ca-certificates + update-ca-certificates.</summary>
    Debian,
    /// <summary>Fedora, RHEL: p11-kit's <c>trust anchor</c>.</summary>
    Fedora,
    /// <summary>macOS: the System keychain through <c>security add-trusted-cert</c>.</summary>
    MacOs,
}

/// <summary>The steps that make a machine trust the development root, as pure functions of where the root is and
/// what the machine has (tests check them exactly); <c>slipway ca trust</c> prints them, and runs them with --yes.</summary>
internal static class CaTrust
{
    /// <summary>The name the root goes by in trust stores: the fingerprint's start tells two machines' roots apart.</summary>
    public static string Nickname(string sha256) => $"Slipway development CA {Tag(sha256)}";

    public static string FileStem(string sha256) => $"slipway-development-ca-{Tag(sha256)}";

    private static string Tag(string sha256) => sha256.Replace(":", "", StringComparison.Ordinal)[..8].ToLowerInvariant();

    public static TrustStore? Detect(Func<string, bool> onPath) =>
        OperatingSystem.IsMacOS() ? TrustStore.MacOs
        : onPath("update-ca-certificates") ? TrustStore.Debian
        : onPath("trust") ? TrustStore.Fedora
        : null;

    /// <summary>The commands that put the root into the system store. <paramref name="stage"/> (Debian only) writes
    /// under that directory instead of / and builds the bundle there (packaging, tests).</summary>
    public static IReadOnlyList<string[]> SystemCommands(TrustStore store, string rootPath, string sha256, string? stage = null) => store switch
    {
        TrustStore.Debian when stage is not null =>
        [
            ["install", "-D", "-m", "0644", rootPath, $"{stage}/usr/local/share/ca-certificates/{FileStem(sha256)}.crt"],
            ["update-ca-certificates", "--certsconf", $"{stage}/etc/ca-certificates.conf", "--localcertsdir", $"{stage}/usr/local/share/ca-certificates",
                "--etccertsdir", $"{stage}/etc/ssl/certs", "--hooksdir", $"{stage}/etc/ca-certificates/update.d"],
        ],
        TrustStore.Debian =>
        [
            ["install", "-D", "-m", "0644", rootPath, $"/usr/local/share/ca-certificates/{FileStem(sha256)}.crt"],
            ["update-ca-certificates"],
        ],
        TrustStore.Fedora => [["trust", "anchor", "--store", rootPath]],
        TrustStore.MacOs => [["security", "add-trusted-cert", "-d", "-r", "trustRoot", "-k", "/Library/Keychains/System.keychain", rootPath]],
        _ => throw new ArgumentOutOfRangeException(nameof(store)),
    };

    /// <summary>certutil commands for the NSS databases under <paramref name="home"/>: Chrome/Chromium's shared
    /// ~/.pki/nssdb (made when missing), and each Firefox profile that has one (cert9.db).</summary>
    public static IReadOnlyList<string[]> NssCommands(string rootPath, string sha256, string home)
    {
        var commands = new List<string[]>();
        var shared = Path.Combine(home, ".pki", "nssdb");
        if (!File.Exists(Path.Combine(shared, "cert9.db")))
        {
            commands.Add(["mkdir", "-p", shared]);
            commands.Add(["certutil", "-d", $"sql:{shared}", "-N", "--empty-password"]);
        }
        commands.Add(Add(shared));
        foreach (var profiles in new[] { Path.Combine(home, ".mozilla", "firefox"), Path.Combine(home, "snap", "firefox", "common", ".mozilla", "firefox") })
        {
            if (Directory.Exists(profiles))
            {
                foreach (var profile in Directory.EnumerateDirectories(profiles).Where(p => File.Exists(Path.Combine(p, "cert9.db"))).Order(StringComparer.Ordinal))
                {
                    commands.Add(Add(profile));
                }
            }
        }
        return commands;

        string[] Add(string db) => ["certutil", "-d", $"sql:{db}", "-A", "-t", "C,,", "-n", Nickname(sha256), "-i", rootPath];
    }

    /// <summary>What `slipway ca trust` prints: every way to trust the root, for this machine and others.</summary>
    public static string Instructions(string rootPath, string sha256, string subject, TrustStore? detected)
    {
        var root = Quote(rootPath);
        var text = new StringBuilder();
        text.AppendLine("The development CA of this platform");
        text.AppendLine($"  file     {rootPath}");
        text.AppendLine($"  SHA-256  {sha256}");
        text.AppendLine($"  subject  {subject}");
        text.AppendLine("It can vouch only for localhost, names under .localhost and loopback addresses (its name constraints say so).");
        text.AppendLine();
        text.AppendLine("System store (curl, wget, most programs; Chrome on macOS):");
        text.AppendLine($"  Debian/Ubuntu  sudo cp {root} /usr/local/share/ca-certificates/{FileStem(sha256)}.crt && sudo update-ca-certificates");
        text.AppendLine($"  Fedora/RHEL    sudo trust anchor --store {root}");
        text.AppendLine($"  macOS          sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {root}");
        text.AppendLine("Firefox, and Chrome on Linux (NSS; certutil is in libnss3-tools or nss-tools):");
        text.AppendLine($"  certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n \"{Nickname(sha256)}\" -i {root}");
        text.AppendLine("  Firefox: the same with -d sql:PROFILE for each profile under ~/.mozilla/firefox/, then restart it.");
        text.AppendLine("curl alone, or Node:");
        text.AppendLine($"  curl --cacert {root} https://shop.localhost:8443/    or    export CURL_CA_BUNDLE={root}");
        text.AppendLine($"  export NODE_EXTRA_CA_CERTS={root}");
        text.AppendLine();
        text.Append(detected is { } store
            ? $"'slipway ca trust --yes' does the system-store step here ({store switch { TrustStore.Debian => "Debian/Ubuntu", TrustStore.Fedora => "Fedora/RHEL", _ => "macOS" }}, through sudo unless run as root) and the NSS one when certutil is installed."
            : "This machine has none of these system stores' tools: follow the step for your system, or use --cacert.");
        return text.ToString();
    }

    /// <summary>A command as a shell would take it (for printing).</summary>
    public static string Show(IEnumerable<string> argv) => string.Join(' ', argv.Select(Quote));

    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or ':' or ',' or '=' or '+')
            ? word
            : $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
