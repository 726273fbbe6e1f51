#!/usr/bin/env bash
# Isolation benchmark: a neighbour's latency while another app spins every core, with the spinner's CPU ceiling
# ("resources": { "cpu": 0.5 }) and without one, each beside the neighbour's idle latency measured in the same run
# (the machines are noisy; compare ratios). Needs root (the sandbox and cgroups); as another user it says so.
#
#   sudo bench/isolation.sh [SECONDS]      (default 10 per measurement)
#
# Reads: latency ratio under a capped spinner (target: within 2x of idle); the spinner's measured CPU against its
# ceiling; the same without a ceiling, to show what the limit buys.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
secs=${1:-10}
for tool in wrk curl node; do
  command -v "$tool" >/dev/null || { echo "bench: needs $tool (apt-get install wrk curl nodejs)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root: the sandbox and its cgroups need it" >&2; exit 1; }

# Builds when needed; the newest build's own versioned path (.slipway/versions/ID/slipway).
exe="$("$root/slipway" --print-binary)"
work="$(mktemp -d /var/tmp/slipway-bench.XXXXXX)"
data="$work/data"
port=$(( 20000 + RANDOM % 20000 ))
cleanup() { "$exe" down --data "$data" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

cores=$(nproc)
spinner() { # spinner DIR CPU-LIMIT-JSON
  mkdir -p "$1"
  cat >"$1/server.js" <<'JS'
const { Worker } = require('worker_threads');
let spinning = [];
require('http').createServer((req, res) => {
  if (req.url === '/spin') for (let i = 0; i < Number(process.env.THREADS); i++) spinning.push(new Worker('for (;;) {}', { eval: true }));
  if (req.url === '/rest') { spinning.forEach((w) => w.terminate()); spinning = []; }
  res.end('ok');
}).listen(process.env.PORT, process.env.HOST);
JS
  echo "{ \"services\": { \"web\": { \"start\": \"node server.js\", \"env\": { \"THREADS\": \"$(( cores * 2 ))\" }$2 } } }" >"$1/slipway.json"
}
spinner "$work/capped" ', "resources": { "cpu": 0.5 }'
spinner "$work/free" ''

echo "bench: starting a platform on port $port (data in $work)"
"$exe" server --data "$data" --http-port "$port" --cache-dir "$work/cache" >"$work/server.log" 2>&1 &
for _ in $(seq 100); do "$exe" apps --data "$data" >/dev/null 2>&1 && break; sleep 0.2; done
"$exe" deploy "$root/examples/node-api" --app neighbour --data "$data" >"$work/neighbour.log"
"$exe" deploy "$work/capped" --app capped --data "$data" >"$work/capped.log"
"$exe" deploy "$work/free" --app free --data "$data" >"$work/free.log"

latency_ms() { # the neighbour's mean latency through the edge, one connection
  wrk -t1 -c1 -d"${secs}s" -H "Host: neighbour.localhost" "http://127.0.0.1:$port/" |
    awk '$1=="Latency" && $2 ~ /^[0-9]/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v; exit}'
}
cpu_of() { # an app's CPU use in percent of one core, as `status` measures it over the last look
  "$exe" status --app "$1" --json --data "$data" >/dev/null; sleep 2
  "$exe" status --app "$1" --json --data "$data" | awk -F': ' '/"cpuPercent"/{gsub(/[ ,]/,"",$2); print $2; exit}'
}
hit() { curl -sf -H "Host: $1.localhost" "http://127.0.0.1:$port/$2" >/dev/null; }

idle=$(latency_ms)
hit capped spin; sleep 1
capped_lat=$(latency_ms); capped_cpu=$(cpu_of capped)
hit capped rest
hit free spin; sleep 1
free_lat=$(latency_ms); free_cpu=$(cpu_of free)
hit free rest

printf '\n%-46s %10s %10s %8s\n' "measure ($cores cores)" "value" "baseline" "ratio"
printf '%-46s %9.3fms %9.3fms %8.2f\n' "neighbour latency, spinner capped at 0.5 cpu" "$capped_lat" "$idle" "$(echo "$capped_lat / $idle" | bc -l)"
printf '%-46s %9.3fms %9.3fms %8.2f\n' "neighbour latency, spinner without a ceiling" "$free_lat" "$idle" "$(echo "$free_lat / $idle" | bc -l)"
printf '%-46s %9s%% %9s%% %8.2f\n' "capped spinner's CPU vs its ceiling" "$capped_cpu" "50" "$(echo "$capped_cpu / 50" | bc -l)"
printf '%-46s %9s%% %9s%%\n' "spinner without a ceiling, CPU" "$free_cpu" "$(( cores * 100 ))"
