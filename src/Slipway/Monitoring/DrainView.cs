namespace Slipway.Monitoring;

/// <summary>A drain as `drains ls` and the API show it: where it sends (masked), what, and how that goes. Never a
/// secret: the destination is scheme://host:port with user info, path and query masked, headers show their names.</summary>
/// <param name="App">The app, null for a drain of every app.</param>
/// <param name="Dropped">Lines dropped because its buffer was full, since it was added.</param>
/// <param name="Buffered">Lines waiting in its buffer now.</param>
internal sealed record DrainView(string Name, string? App, string? Env, DrainKind Kind, string Destination, IReadOnlyList<string> Headers,
    bool Access, bool Gzip, DrainState State, long Delivered, long Dropped, int Buffered, DateTimeOffset? LastDeliveredAt, string? LastError,
    DateTimeOffset? LastErrorAt, DateTimeOffset CreatedAt);
