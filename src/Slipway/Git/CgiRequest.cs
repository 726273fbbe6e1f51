namespace Slipway.Git;

/// <summary>What `git http-backend` needs to know of one smart-HTTP request (the CGI meta-variables of RFC 3875).</summary>
/// <param name="PathInfo">"/shop.git/info/refs", "/shop.git/git-receive-pack": below the repositories' root.</param>
/// <param name="GitProtocol">The Git-Protocol header ("version=2"), passed on so protocol v2 works.</param>
/// <param name="RemoteUser">Who is calling, as the audit log names them; git enables receive-pack only with one.</param>
internal sealed record CgiRequest(string Method, string PathInfo, string QueryString, string? ContentType, long? ContentLength,
    string? ContentEncoding, string? GitProtocol, string RemoteUser, string? RemoteAddress);

/// <summary>The status and headers a CGI program printed before its body.</summary>
internal sealed record CgiHead(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers);
