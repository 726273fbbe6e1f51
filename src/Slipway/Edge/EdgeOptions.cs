namespace Slipway.Edge;

/// <summary>Host settings of the edge (from `slipway server`'s flags; Hosting maps and validates them).</summary>
internal sealed class EdgeOptions
{
    /// <summary>Address the edge listens on: loopback unless the admin opens it up.</summary>
    public string HttpAddress { get; set; } = "127.0.0.1";

    /// <summary>The edge's HTTP port; 0 picks a free one (tests).</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>The edge's HTTPS port (TLS with SNI, HTTP/2); null: plain HTTP only. 0 picks a free one (tests).</summary>
    public int? HttpsPort { get; set; }

    /// <summary>Peers (IP addresses or networks) whose X-Forwarded-* headers the edge believes.</summary>
    public IReadOnlyList<string> TrustedProxies { get; set; } = [];

    /// <summary>Write one access log line per request (access/APP log stream).</summary>
    public bool AccessLog { get; set; } = true;

    /// <summary>Certificates the edge serves, DATA/certs/HOST/.</summary>
    public string CertsDir { get; set; } = "";
}
