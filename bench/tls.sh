#!/usr/bin/env bash
# TLS benchmark: Slipway's HTTPS listener beside nginx serving the same certificate and the same small file, measured
# in the same run (the machines are noisy: compare the ratios, not the absolute numbers).
#   handshakes/s   full handshakes, no resumption: `openssl s_time -new` (TLS 1.3, no SNI, no ALPN), C clients at once
#   requests/s     HTTPS with keep-alive: `wrk -tT -cC` on one small static file
# Three targets: the edge as it runs; the edge with the ClientHello peek (TLS-ALPN-01) turned off
# (SLIPWAY_TLS_ALPN_PEEK=0, handshakes only), which shows what the peek costs; nginx with one worker per core, the
# same ECDSA P-256 leaf (the development CA's localhost leaf, copied from the platform), TLS 1.2/1.3 with the same
# AEAD suites, no session cache or tickets (s_time -new resumes nothing anyway).
# Each round runs every target in a rotated order; the table shows the median over the rounds.
#
#   bench/tls.sh [--quick] [--rounds N] [--duration S] [--connections C] [--threads T] [--clients C]
# Environment: BENCH_ROUNDS (3), BENCH_DURATION (5), BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_CLIENTS (2).
# --quick is 1 round of 2 s runs: a check that the script works, not a measurement.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
app=tlsbench
host="$app.localhost"
rounds=${BENCH_ROUNDS:-3}
duration=${BENCH_DURATION:-5}
connections=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
clients=${BENCH_CLIENTS:-2}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "bench/tls: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) rounds=1; duration=2; shift ;;
    --rounds|--duration|--connections|--threads|--clients)
      [ $# -ge 2 ] || die "$1 needs a value (see bench/tls.sh --help)"
      case "$1" in
        --rounds) rounds=$2 ;; --duration) duration=$2 ;; --connections) connections=$2 ;; --threads) threads=$2 ;; --clients) clients=$2 ;;
      esac
      shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see bench/tls.sh --help)" ;;
  esac
done
for pair in "rounds=$rounds" "duration=$duration" "connections=$connections" "threads=$threads" "clients=$clients"; do
  [[ "${pair#*=}" =~ ^[1-9][0-9]*$ ]] || die "--${pair%%=*} must be a whole number above 0, got '${pair#*=}'"
done
[ "$connections" -ge "$threads" ] || die "--connections ($connections) must be at least --threads ($threads) for wrk"
nginx_bin=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
for tool in wrk curl openssl; do command -v "$tool" >/dev/null || die "needs $tool (apt-get install wrk curl openssl nginx)"; done
[ -n "$nginx_bin" ] || die "needs nginx (apt-get install nginx)"

# Builds when needed; the newest build's own versioned path (.slipway/versions/ID/slipway).
exe="$("$root/slipway" --print-binary)"
work="$(mktemp -d "${TMPDIR:-/tmp}/slipway-tls-bench.XXXXXX")"
pids=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  for data in "$work/data" "$work/data-nopeek"; do [ -d "$data" ] && timeout 70 "$exe" down --data "$data" >/dev/null 2>&1; done
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  sleep 0.5
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  if [ "$rc" -ne 0 ]; then
    for log in "$work"/*.log "$work/nginx/error.log"; do [ -s "$log" ] && { echo "--- last lines of ${log#"$work"/}" >&2; tail -n 15 "$log" >&2; }; done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  local p
  while :; do p=$(( 20000 + RANDOM % 30000 )); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done
}
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$(( $(date +%s) + $1 )) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt "$deadline" ] || die "$what did not happen within the time limit"; sleep 0.2; done
}

# The site: one small file, served by the edge as a static app and by nginx from the same directory.
mkdir -p "$work/site"
chmod o+x "$work" && chmod o+rx "$work/site" # nginx's workers run as an unprivileged user
printf 'hello from the tls benchmark\n' >"$work/site/index.html"
echo '{ "services": { "site": { "type": "static", "install": null, "build": null, "output": "." } } }' >"$work/site/slipway.json"

start_platform() { # start_platform DATA HTTP HTTPS PEEK LOG
  SLIPWAY_TLS_ALPN_PEEK=$4 "$exe" server --data "$1" --http-port "$2" --https-port "$3" --cache-dir "$work/cache" --no-access-log >"$5" 2>&1 &
  pids+=($!)
  wait_for 60 "the platform in $1 answering" "$exe" apps --data "$1"
}
edge_http=$(free_port); edge_https=$(free_port); nopeek_http=$(free_port); nopeek_https=$(free_port)
echo "bench/tls: starting two platforms: HTTPS on $edge_https (as it runs) and $nopeek_https (SLIPWAY_TLS_ALPN_PEEK=0)"
start_platform "$work/data" "$edge_http" "$edge_https" 1 "$work/server.log"
start_platform "$work/data-nopeek" "$nopeek_http" "$nopeek_https" 0 "$work/server-nopeek.log"
"$exe" deploy "$work/site" --app "$app" --data "$work/data" >"$work/deploy.log" 2>&1 || die "deploying the site failed"

leaf="$work/data/certs/_development/localhost"
root_ca="$work/data/certs/_development/root.pem"
wait_for 10 "the development leaf on disk" test -s "$leaf/fullchain.pem"
wait_for 30 "the edge serving the site over HTTPS" curl -sf --cacert "$root_ca" --resolve "$host:$edge_https:127.0.0.1" "https://$host:$edge_https/"

nginx_https=$(free_port)
mkdir -p "$work/nginx"
cp "$leaf/fullchain.pem" "$leaf/privkey.pem" "$work/nginx/"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes $(nproc);
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/client_body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  keepalive_timeout 75s;
  keepalive_requests 1000000000;
  server {
    listen 127.0.0.1:$nginx_https ssl default_server;
    http2 on;
    server_name $host;
    ssl_certificate $work/nginx/fullchain.pem;
    ssl_certificate_key $work/nginx/privkey.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_session_cache off;
    ssl_session_tickets off;
    root $work/site;
    location = / { try_files /index.html =404; }
  }
}
EOF
nginx_args=(-p "$work/nginx" -c "$work/nginx/nginx.conf")
"$nginx_bin" -h 2>&1 | grep -q -- '-e filename' && nginx_args+=(-e "$work/nginx/error.log")
if ! "$nginx_bin" "${nginx_args[@]}" -t >"$work/nginx-test.log" 2>&1; then
  sed -i 's/^    http2 on;$//; s/ssl default_server;/ssl http2 default_server;/' "$work/nginx/nginx.conf" # nginx before 1.25.1
  "$nginx_bin" "${nginx_args[@]}" -t >"$work/nginx-test.log" 2>&1 || { cat "$work/nginx-test.log" >&2; die "nginx rejected the generated config"; }
fi
"$nginx_bin" "${nginx_args[@]}" -g 'daemon off;' >>"$work/nginx/error.log" 2>&1 &
pids+=($!)
wait_for 20 "nginx serving the site over HTTPS" curl -sf --cacert "$root_ca" "https://127.0.0.1:$nginx_https/"

# Both present the same certificate to a client without SNI (what s_time and wrk to 127.0.0.1 send).
presented() { openssl s_client -connect "127.0.0.1:$1" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256; }
[ "$(presented "$edge_https")" = "$(presented "$nginx_https")" ] || die "the edge and nginx present different certificates"
[ "$(curl -sf --cacert "$root_ca" --resolve "$host:$edge_https:127.0.0.1" "https://$host:$edge_https/")" = "$(cat "$work/site/index.html")" ] ||
  die "the edge does not serve the site's file"

targets=(edge nopeek nginx)
declare -A port=([edge]=$edge_https [nopeek]=$nopeek_https [nginx]=$nginx_https)
declare -A label=([edge]="slipway edge" [nopeek]="edge, no peek" [nginx]="nginx")

handshakes() { # handshakes TARGET SECONDS -> connections per second, summed over the clients
  local i out waiting=()
  for (( i = 0; i < clients; i++ )); do
    openssl s_time -connect "127.0.0.1:${port[$1]}" -new -time "$2" >"$work/stime-$i.txt" 2>&1 </dev/null &
    waiting+=($!)
  done
  wait "${waiting[@]}" # only these: a bare wait would also wait for the platforms and nginx
  for (( i = 0; i < clients; i++ )); do
    # "N connections in T real seconds, B bytes read per connection"
    out=$(awk '/ connections in .* real seconds/ { n = $1; t = $4 } END { if (t > 0) printf "%.1f\n", n / t }' "$work/stime-$i.txt")
    [ -n "$out" ] || { cat "$work/stime-$i.txt" >&2; die "could not read s_time's output for ${label[$1]}"; }
    echo "$out"
  done | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
requests() { # requests TARGET SECONDS -> requests per second
  wrk -t"$threads" -c"$connections" -d"$2"s -H "Host: $host" "https://127.0.0.1:${port[$1]}/" >"$work/wrk.txt" 2>&1 || { cat "$work/wrk.txt" >&2; die "wrk failed against ${label[$1]}"; }
  grep -q 'Non-2xx' "$work/wrk.txt" && { cat "$work/wrk.txt" >&2; die "${label[$1]} answered errors under wrk"; }
  awk '/^Requests\/sec:/ { printf "%.0f\n", $2 }' "$work/wrk.txt"
}
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "bench/tls: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); nginx $("$nginx_bin" -v 2>&1 | sed 's|.*/||'), $(openssl version | cut -d' ' -f1-2)"
echo "bench/tls: warming up (JIT, connection pools)"
for t in "${targets[@]}"; do handshakes "$t" 1 >/dev/null; done
for t in edge nginx; do requests "$t" 1 >/dev/null; done
echo "bench/tls: $rounds round(s): s_time -new x$clients for ${duration}s, wrk -t$threads -c$connections -d${duration}s"
declare -A hs rps
for (( r = 1; r <= rounds; r++ )); do
  order=("${targets[@]:$(( (r - 1) % 3 ))}" "${targets[@]:0:$(( (r - 1) % 3 ))}")
  for t in "${order[@]}"; do
    hs[$t-$r]=$(handshakes "$t" "$duration")
    line="  round $r  $(printf '%-14s' "${label[$t]}") $(printf '%8s' "${hs[$t-$r]}") handshakes/s"
    if [ "$t" != nopeek ]; then
      rps[$t-$r]=$(requests "$t" "$duration")
      line="$line  $(printf '%9s' "${rps[$t-$r]}") requests/s"
    fi
    echo "$line"
  done
done

declare -A hs_med rps_med
for t in "${targets[@]}"; do
  hs_med[$t]=$(for (( r = 1; r <= rounds; r++ )); do echo "${hs[$t-$r]}"; done | median)
  [ "$t" = nopeek ] || rps_med[$t]=$(for (( r = 1; r <= rounds; r++ )); do echo "${rps[$t-$r]}"; done | median)
done
echo
echo "median of $rounds round(s); load average now $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %14s %22s\n' "target" "handshakes/s" "HTTPS requests/s (ka)"
for t in "${targets[@]}"; do printf '%-16s %14s %22s\n' "${label[$t]}" "${hs_med[$t]}" "${rps_med[$t]:--}"; done
echo
awk -v eh="${hs_med[edge]}" -v ph="${hs_med[nopeek]}" -v nh="${hs_med[nginx]}" -v er="${rps_med[edge]}" -v nr="${rps_med[nginx]}" 'BEGIN {
  printf "%-44s %6.2f\n", "handshakes/s edge / nginx", eh / nh
  printf "%-44s %6.2f\n", "HTTPS requests/s (keep-alive) edge / nginx", er / nr
  printf "%-44s %6.2f   (1.00 = the ClientHello peek costs nothing)\n", "handshakes/s edge with peek / without", eh / ph }'
if [ "$rounds" -gt 1 ]; then
  echo "per round, peek / no peek (same load): $(for (( r = 1; r <= rounds; r++ )); do awk -v a="${hs[edge-$r]}" -v b="${hs[nopeek-$r]}" 'BEGIN { printf "%.2f ", a / b }'; done)"
fi
