namespace Slipway.Git;

/// <summary>The pre-receive hook every app repository runs (git's core.hooksPath, set for each push, so nothing in a
/// repository can replace it). It hands the push to the platform through the <see cref="HookPipe"/> named by
/// SLIPWAY_PUSH_DIR and prints the platform's lines as they come; git updates the refs only when the platform
/// answers "ok". Plain sh: it runs inside git, which the platform started for the push.</summary>
internal static class PreReceiveHook
{
    public const string Script = """
        #!/bin/sh
        # Written by the Slipway platform at start. A push hands its refs to the platform, which deploys the pushed
        # commit; git updates the branch only if the deploy went live.
        d="$SLIPWAY_PUSH_DIR"
        if [ -z "$d" ] || [ ! -p "$d/request" ]; then
          echo "This repository takes pushes only through the Slipway platform's git remote (https://PLATFORM/git/APP.git)." >&2
          exit 1
        fi
        { printf 'quarantine %s\n' "$GIT_QUARANTINE_PATH"; cat; printf 'end\n'; } > "$d/request" || exit 1
        while IFS= read -r line; do
          case "$line" in
            "> "*) printf '%s\n' "${line#> }" ;;
            ok) exit 0 ;;
            *) exit 1 ;;
          esac
        done < "$d/answer"
        echo "The platform stopped answering before it decided; nothing was updated." >&2
        exit 1

        """;

    /// <summary>Writes the hook into <paramref name="hooksDir"/> (replacing the one an earlier platform wrote).</summary>
    public static void Install(string hooksDir)
    {
        Directory.CreateDirectory(hooksDir);
        var path = Path.Combine(hooksDir, "pre-receive");
        var next = path + ".new";
        File.WriteAllText(next, Script);
        File.SetUnixFileMode(next, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.Move(next, path, overwrite: true);
    }
}
