namespace Slipway.Jobs;

/// <summary>Where the messages listener answers (http://127.0.0.1:PORT), known once it started. Its own
/// object so that what gives processes the URL (<see cref="JobEnvironment"/>, used by every instance start)
/// does not depend on the server, which depends on the running apps.</summary>
internal sealed class MessagesAddress
{
    private volatile string? _baseUrl;

    public string? BaseUrl
    {
        get => _baseUrl;
        set => _baseUrl = value;
    }

    /// <summary>Why the listener is not where the previous platform process had it (its port was taken while no
    /// platform ran), or null.</summary>
    public string? Moved { get; set; }
}
