#!/usr/bin/env bash
# Installs what the tests need (when missing) and runs the whole suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

need=()
command -v git >/dev/null 2>&1 || need+=(git)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
command -v npm >/dev/null 2>&1 || need+=(npm)                   # the build embeds the dashboard's htmx from npm
command -v setsid >/dev/null 2>&1 || need+=(util-linux)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ -f /usr/share/zoneinfo/Europe/Berlin ] || need+=(tzdata)   # cron jobs' time zones
# Databases tests run the real servers (Debian keeps initdb off PATH; its own "main" cluster is never used).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)        # apps run sandboxed
command -v nft >/dev/null 2>&1 || need+=(nftables)            # per-app port firewall
command -v pebble >/dev/null 2>&1 || need+=(pebble)             # ACME tests: pebble and pebble-challtestsrv
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)   # slipway install: the unit is checked with systemd-analyze verify
command -v openssl >/dev/null 2>&1 || need+=(openssl)             # TLS tests hand-shake with the openssl client
command -v promtool >/dev/null 2>&1 || need+=(prometheus)         # a real Prometheus scrapes /metrics; promtool checks it
command -v chromium >/dev/null 2>&1 || need+=(chromium)           # Playwright drives the machine's Chromium (dashboard, browser errors; axe-core comes from npm in the tests)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq "${need[@]}"
fi
# Off-site tests: moto's S3 server, for what s3rver does not do (listing multipart uploads); from PyPI when missing.
if ! command -v moto_server >/dev/null 2>&1; then
  echo "test.sh: installing moto[server] (pip)" >&2
  python3 -m pip install -q 'moto[server]' || python3 -m pip install -q --user --break-system-packages 'moto[server]'
  hash -r
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required (https://dot.net)" >&2
  exit 1
fi

dotnet build "$root/Slipway.slnx" -c Release --nologo -v quiet
# The self-contained CLI that two tests run as users do takes minutes to publish on a fresh machine: it is built in
# the background while the first tests run (PublishedCli waits for it through the wrapper's build lock, and builds
# it itself, showing any error, if this one failed). Not for a filtered run, which may not need it.
# The tests run that CLI for what it does, not for how fast it starts: it is compiled ReadyToRun without the composite
# image of the framework, which alone kept one of two cores busy for over five minutes of the suite (MSBuild takes
# the variable as the property; ./slipway up and bench/footprint build the composite one users get).
export PublishReadyToRunComposite=false
if [ $# -eq 0 ]; then
  "$root/slipway" --print-binary >/dev/null 2>&1 &
fi
# The console output is kept, so a failing run ends with its failures again: CI shows only the end of a long log.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
dotnet test "$root/tests/Slipway.Tests/Slipway.Tests.csproj" -c Release --no-build --nologo \
  --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  echo
  echo "test.sh: the tests that failed, again (message and the test's own frames; the whole text is above):"
  # vstest's console logger: "  Failed NAME [time]", "  Error Message:", lines, "  Stack Trace:", frames, then the
  # next section or result.
  awk '
    /^  (Passed|Skipped|Failed) / || /^  [A-Z][A-Za-z ]+:$/ && !/^  (Error Message|Stack Trace):$/ { part = "" }
    /^  Failed Slipway\./ { print; part = "name"; next }
    part != "" && /^  Error Message:$/ { part = "message"; lines = 0; next }
    part != "" && /^  Stack Trace:$/ { part = "stack"; frames = 0; next }
    part == "message" && lines < 12 { print; lines++ }
    part == "stack" && /Slipway\.Tests/ && frames < 4 { print; frames++ }
  ' "$log" | cut -c1-400
fi
exit "$rc"
