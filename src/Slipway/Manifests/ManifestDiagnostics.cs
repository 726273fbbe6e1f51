namespace Slipway.Manifests;

/// <summary>Collects every error and warning while a manifest is read, so the user sees them all in one go
/// instead of fixing one per deploy attempt.</summary>
internal sealed class ManifestDiagnostics
{
    private readonly List<ManifestError> _errors = [];
    private readonly List<string> _warnings = [];
    private readonly HashSet<string> _uncertain = new(StringComparer.Ordinal);

    public IReadOnlyList<ManifestError> Errors => _errors;
    public IReadOnlyList<string> Warnings => _warnings;

    public void Error(string path, string message) => _errors.Add(new ManifestError(path, message));

    public void Warn(string path, string message) => _warnings.Add(path.Length == 0 ? message : $"{path}: {message}");

    /// <summary>Marks a value as probably meant but misspelled (an unknown key close to it was reported), so
    /// <see cref="HasErrorAt"/> treats it as rejected.</summary>
    public void Uncertain(string path) => _uncertain.Add(path);

    /// <summary>True when a value at or below <paramref name="path"/> was rejected or is uncertain. Later checks
    /// that depend on that value skip themselves so one typo does not cascade into errors about its
    /// consequences.</summary>
    public bool HasErrorAt(string path) =>
        _uncertain.Contains(path) || _errors.Exists(error => error.Path == path
                                                             || error.Path.StartsWith(path + ".", StringComparison.Ordinal)
                                                             || error.Path.StartsWith(path + "[", StringComparison.Ordinal));

    /// <summary>Joins a key onto a path: <c>services</c> + <c>api</c> = <c>services.api</c>. Keys that would
    /// make the path ambiguous (dots, spaces) are bracketed: <c>services["my.api"]</c>.</summary>
    public static string Join(string path, string key)
    {
        var plain = key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '$');
        var segment = plain ? key : $"[\"{key}\"]";
        return path.Length == 0 || !plain ? path + segment : $"{path}.{segment}";
    }
}
