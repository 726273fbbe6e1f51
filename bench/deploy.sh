#!/usr/bin/env bash
# Deploy benchmark: deploy time, rollback switch time and failed requests under continuous load, each
# printed beside a baseline measured in the same run (the machines are noisy; compare ratios, not seconds).
#
#   bench/deploy.sh [DEPLOYS] [ROLLBACKS]     (defaults 20 and 10)
#
# Baselines:
#   deploy    a hand-made deploy of the same app without Slipway, under the same load: copy the source, copy cached node_modules,
#             run the release command, start node, poll /health until it answers (what a script would do)
#   rollback  the same hand-made start of the old version: what a rollback costs without warm instances
#   edge      wrk straight at one instance vs through the Slipway edge (requests per second)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deploys=${1:-20}
rollbacks=${2:-10}
for tool in wrk curl node npm bc; do
  command -v "$tool" >/dev/null || { echo "bench: needs $tool (apt-get install wrk curl nodejs npm bc)" >&2; exit 1; }
done

# Builds when needed; the newest build's own versioned path (.slipway/versions/ID/slipway).
exe="$("$root/slipway" --print-binary)"
work="$(mktemp -d)"
data="$work/data"
port=$(( 20000 + RANDOM % 20000 ))
cleanup() {
  touch "$work/stop" 2>/dev/null || true
  "$exe" down --data "$data" >/dev/null 2>&1 || true
  [ -n "${manual_pid:-}" ] && kill "$manual_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

copy_app() { # copy_app DEST VERSION
  mkdir -p "$1"
  (cd "$root/examples/node-api" && tar --exclude=node_modules -cf - .) | (cd "$1" && tar -xf -)
  echo "$2" > "$1/VERSION"
}
copy_app "$work/v1" 1
copy_app "$work/v2" 2
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'; }
version() { curl -s -o /dev/null -D - -H "Host: bench.localhost" "http://127.0.0.1:$port/" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-app-version"{print $2}'; }

echo "bench: starting a platform on port $port (data in $work)"
"$exe" server --data "$data" --http-port "$port" --cache-dir "$work/cache" >"$work/server.log" 2>&1 &
for _ in $(seq 100); do "$exe" apps --data "$data" >/dev/null 2>&1 && break; sleep 0.2; done

t0=$(now); "$exe" deploy "$work/v1" --app bench --data "$data" >"$work/first.log"; t1=$(now)
cold=$(echo "$t1 - $t0" | bc)

# Continuous load for the whole series, in 5 s wrk slices until told to stop.
( while [ ! -f "$work/stop" ]; do
    wrk -t2 -c8 -d5s -H "Host: bench.localhost" "http://127.0.0.1:$port/" 2>&1 || true
  done ) >"$work/wrk.txt" &
load_pid=$!

: >"$work/deploy.times"
for i in $(seq "$deploys"); do
  src="$work/v$(( i % 2 == 1 ? 2 : 1 ))"
  t0=$(now); "$exe" deploy "$src" --app bench --data "$data" >"$work/deploy-$i.log" || { echo "deploy $i failed"; cat "$work/deploy-$i.log"; exit 1; }; t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/deploy.times"
  # Where the time went: the deployment's own log (timestamped by the platform) between the CLI's start and exit.
  id=$(awk '/==> deploy d-/{print $3; exit}' "$work/deploy-$i.log")
  { echo "$t0 $t1"; "$exe" logs --app bench --deployment "$id" --data "$data" --json; } >"$work/phases-$i.log"
done
: >"$work/rollback.times"
for i in $(seq "$rollbacks"); do
  before=$(version)
  t0=$(now)
  "$exe" rollback --app bench --data "$data" >"$work/rollback-$i.log"
  while [ "$(version)" = "$before" ]; do :; done
  t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/rollback.times"
done
# Baseline: the same deploy by hand, without a platform, under the same load (side by side, not after it).
manual_deploy() { # manual_deploy SRC PORT
  local dir="$work/manual-$RANDOM"
  cp -r "$1" "$dir"
  # The dependency cache is per environment when apps are sandboxed (root), shared otherwise.
  cp -a --reflink=auto "$(ls -d "$work"/cache/deps/*/node_modules "$work"/cache/env/*/deps/*/node_modules 2>/dev/null | head -1)" "$dir/node_modules"
  (cd "$dir" && node release.js >/dev/null)
  (cd "$dir" && PORT=$2 HOST=127.0.0.1 exec node server.js >/dev/null 2>&1) &
  manual_pid=$!
  until curl -sf "http://127.0.0.1:$2/health" >/dev/null; do sleep 0.01; done
  kill "$manual_pid"; wait "$manual_pid" 2>/dev/null || true; manual_pid=
}
: >"$work/manual.times"
for i in $(seq 5); do
  t0=$(now); manual_deploy "$work/v$(( i % 2 + 1 ))" $(( port + 1 )); t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/manual.times"
done

touch "$work/stop"; wait "$load_pid"

# Edge overhead: one instance directly vs through the edge.
inst_port=$("$exe" status --app bench --json --data "$data" | awk -F': ' '/"port"/{gsub(/[ ,]/,"",$2); print $2; exit}')
direct=$(wrk -t2 -c8 -d5s "http://127.0.0.1:$inst_port/" | awk '/Requests\/sec/{print $2}')
edge=$(wrk -t2 -c8 -d5s -H "Host: bench.localhost" "http://127.0.0.1:$port/" | awk '/Requests\/sec/{print $2}')

total=$(awk '/requests in/{s+=$1} END{print s+0}' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/{s+=$NF} END{print s+0}' "$work/wrk.txt")
sockerr=$(awk '/Socket errors/{gsub(/,/,""); s+=$4+$6+$8+$10} END{print s+0}' "$work/wrk.txt")
d_med=$(median <"$work/deploy.times"); r_med=$(median <"$work/rollback.times"); m_med=$(median <"$work/manual.times")
r_max=$(sort -n "$work/rollback.times" | tail -1)

printf '\n%-34s %12s %12s %8s\n' "measure" "slipway" "baseline" "ratio"
printf '%-34s %11.2fs %12s %8s\n' "first deploy (cold npm cache)" "$cold" "-" "-"
printf '%-34s %11.2fs %11.2fs %8.2f\n' "deploy, median of $deploys" "$d_med" "$m_med" "$(echo "$d_med / $m_med" | bc -l)"
printf '%-34s %11.3fs %11.2fs %8.3f\n' "rollback to traffic moved, median" "$r_med" "$m_med" "$(echo "$r_med / $m_med" | bc -l)"
printf '%-34s %11.3fs\n' "rollback to traffic moved, max" "$r_max"
printf '%-34s %12s %12s %8.2f\n' "requests/s (edge vs direct)" "$edge" "$direct" "$(echo "$edge / $direct" | bc -l)"
printf '%-34s %12s of %s requests during %s deploys + %s rollbacks\n' "failed (non-2xx + socket errors)" "$(( non2xx + sockerr ))" "$total" "$deploys" "$rollbacks"

# A deploy's phases, medians over the series (the platform's log times; the CLI's start and exit from this script).
python3 - "$work" "$deploys" <<'PY'
import json, statistics, sys
from datetime import datetime
work, n = sys.argv[1], int(sys.argv[2])
marks = [("queued", "queued"), ("copying source", "copying"), ("slipway.json", "manifest"), ("releasing", "releasing"),
         ("starting new instances", "starting"), ("waiting for health checks", "health"), ("live at", "live")]
phases = [("CLI start and request, to queued", None, "queued"), ("source snapshot", "copying", "manifest"),
          ("build (dependencies, build command)", "manifest", "releasing"), ("release command", "releasing", "starting"),
          ("instances launched", "starting", "health"), ("health checks passed", "health", "live"),
          ("CLI sees live and exits", "live", None)]
rows = {p[0]: [] for p in phases}
for i in range(1, n + 1):
    lines = open(f"{work}/phases-{i}.log").read().splitlines()
    t0, t1 = map(float, lines[0].split())
    at = {}
    for line in lines[1:]:
        entry = json.loads(line)
        for text, key in marks:
            if key not in at and text in entry["m"]:
                at[key] = datetime.fromisoformat(entry["t"]).timestamp()
    for name, start, end in phases:
        a = t0 if start is None else at.get(start)
        b = t1 if end is None else at.get(end)
        if a is not None and b is not None:
            rows[name].append((b - a) * 1000)
print(f"\n{'deploy phase (median ms)':34} {'ms':>12}")
for name, _, _ in phases:
    if rows[name]:
        print(f"{name:34} {statistics.median(rows[name]):12.0f}")
PY
