using Microsoft.AspNetCore.Http;

namespace Slipway.Edge;

/// <summary>A path the edge answers itself on every app's hosts, for a subsystem above it: error tracking's browser
/// tunnel (/_slipway/errors), which a browser reaches on the app's own origin, so no CORS and no other DNS name.
/// Registered in DI; the edge asks each before the app's own rules, for requests that arrived on the app's host.</summary>
internal interface IEdgeHostPath
{
    /// <summary>The exact path ("/_slipway/errors").</summary>
    string Path { get; }

    /// <summary>Answers the request for the app environment <paramref name="app"/> (its row key) whose host it came to.</summary>
    Task HandleAsync(HttpContext context, string app);
}
