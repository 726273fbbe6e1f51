namespace Slipway.Git.Forges;

/// <summary>What <see cref="WebhookSignature.Verify"/> found, and the header it is about: the one checked, or the one
/// expected when it is missing (for Gitea "X-Gitea-Signature or X-Forgejo-Signature"), so a 401 can name it.</summary>
internal sealed record SignatureCheck(SignatureVerdict Verdict, string Header)
{
    public bool IsValid => Verdict == SignatureVerdict.Valid;
}
