namespace Slipway.Manifests;

/// <summary>slipway.json's "otherFiles": what Slipway does with another platform's file beside it (railway.json,
/// vercel.json, render.yaml, app.json, Procfile).</summary>
internal enum OtherFiles
{
    /// <summary>Convert it and lay slipway.json over it (<see cref="ManifestMerge"/>): the default.</summary>
    Merge,

    /// <summary>slipway.json is the whole manifest; the other file is not read.</summary>
    Ignore,
}
