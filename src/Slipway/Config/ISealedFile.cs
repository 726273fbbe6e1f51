namespace Slipway.Config;

/// <summary>A file outside the store that holds values sealed with the master key (the managed PostgreSQL
/// cluster's superuser password). Key rotation reseals it before the store, while both keys still decrypt:
/// a crash at any point leaves every value readable, and the next start finishes the rotation.</summary>
internal interface ISealedFile
{
    /// <summary>Rewrites the file (atomically) with every sealed value passed through <paramref name="reseal"/>.</summary>
    void Reseal(Func<string, string> reseal);
}
