namespace Slipway.Deploy;

/// <summary>Environments whose processes get none of the config's secrets (a preview of a fork's pull request: its code
/// is not the app owner's). The variables of the environment's own databases stay: they reach only its own data.
/// Owned here, implemented above (Git's previews).</summary>
internal interface IWithheldSecrets
{
    bool Withholds(AppRef target);
}
