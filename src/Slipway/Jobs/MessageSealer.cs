using System.Text;
using Slipway.Config;

namespace Slipway.Jobs;

/// <summary>Message headers and bodies are the app's data and often hold secrets (an API key in a header for an
/// external URL, a token in a body), so they are sealed with the master key like config vars (Config/Keyring) and
/// re-encrypted by `slipway keys rotate` (<see cref="JobRows"/>, in the rotation's transaction). A row's headers
/// tell whether it is sealed: plaintext headers are always a JSON object ("{...}"), rows stored before sealing are
/// read as they are.</summary>
internal sealed class MessageSealer(Keyring keyring)
{
    public (string HeadersJson, byte[] Body) Seal(string headersJson, byte[] body) =>
        (keyring.Encrypt(headersJson), Encoding.ASCII.GetBytes(keyring.Encrypt(Convert.ToBase64String(body))));

    public (string HeadersJson, byte[] Body) Open(MessageRecord message)
    {
        if (!Keyring.IsCiphertext(message.HeadersJson))
        {
            return (message.HeadersJson, message.Body ?? []);
        }
        var body = message.Body is { Length: > 0 } sealedBody ? Convert.FromBase64String(keyring.Decrypt(Encoding.ASCII.GetString(sealedBody))) : [];
        return (keyring.Decrypt(message.HeadersJson), body);
    }

    /// <summary>For key rotation: a sealed row's headers and body under the newest key (plaintext rows unchanged).</summary>
    public static (string HeadersJson, byte[]? Body) Reseal(string headersJson, byte[]? body, Func<string, string> reencrypt) =>
        !Keyring.IsCiphertext(headersJson)
            ? (headersJson, body)
            : (reencrypt(headersJson), body is { Length: > 0 } ? Encoding.ASCII.GetBytes(reencrypt(Encoding.ASCII.GetString(body))) : body);
}
