#!/usr/bin/env bash
# Databases benchmark: backup, restore and branch throughput of Slipway's managed PostgreSQL for a generated
# database (pgbench, ~1 GB at the default scale), each beside the same work done by hand with plain
# pg_dump / pg_restore in the same run (compare ratios, not seconds: the machines are noisy).
#
#   bench/databases.sh [PGBENCH_SCALE]      (default 68: about 1 GB on disk; takes about 5 minutes)
#
#   backup   slipway db backup (pg_dump -Fc in a snapshot, checksum, then verification: restore into a
#            scratch database and compare row counts)   vs   pg_dump -Fc -Z6 by hand
#   restore  slipway db restore ID --to-new NAME (checksum, pg_restore, record)   vs   pg_restore by hand
#   branch   slipway db branch (pg_dump streamed into pg_restore, atomic switch)  vs   pg_dump | pg_restore by hand
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scale=${1:-68}
for tool in bc curl; do
  command -v "$tool" >/dev/null || { echo "bench: needs $tool (apt-get install $tool)" >&2; exit 1; }
done
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pgbench" ] || { echo "bench: needs PostgreSQL's programs (apt-get install postgresql)" >&2; exit 1; }

# Builds when needed; the newest build's own versioned path (.slipway/versions/ID/slipway).
exe="$("$root/slipway" --print-binary)"
work="$(mktemp -d)"
chmod 755 "$work"
data="$work/data"
port=$(( 20000 + RANDOM % 20000 ))
cleanup() {
  "$exe" down --data "$data" >/dev/null 2>&1 || true
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
secs() { printf "%.2f" "$(echo "$2 - $1" | bc)"; }
json() { sed -n "s/.*\"$1\": *\"\\{0,1\\}\\([^\",]*\\).*/\\1/p" | head -1; }
env_of() { # env_of URL: libpq variables for a URL (no password on any command line)
  local url="$1" rest userinfo hostport
  rest="${url#postgres://}"; userinfo="${rest%%@*}"; hostport="${rest#*@}"; hostport="${hostport%%/*}"
  echo "PGUSER=${userinfo%%:*} PGPASSWORD=${userinfo#*:} PGHOST=${hostport%%:*} PGPORT=${hostport#*:} PGDATABASE=${rest##*/}"
}

echo "bench: starting a platform (data in $work)"
"$exe" server --data "$data" --http-port "$port" --databases-dir "$work/databases" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do "$exe" apps --data "$data" >/dev/null 2>&1 && break; sleep 0.2; done

"$exe" db create --app bench --data "$data" >/dev/null
"$exe" db create --app byhand --data "$data" >/dev/null
url=$("$exe" db url --app bench --data "$data")
hand=$("$exe" db url --app byhand --data "$data")

echo "bench: generating the database (pgbench -i -s $scale)"
t0=$(now); env $(env_of "$url") "$bin/pgbench" -i -s "$scale" -q >"$work/pgbench.log" 2>&1; t1=$(now)
bytes=$(env $(env_of "$url") "$bin/psql" -tAXc "select pg_database_size(current_database())")
gb=$(echo "scale=3; $bytes / 1024 / 1024 / 1024" | bc)
echo "bench: database is $gb GB ($bytes bytes), generated in $(secs "$t0" "$t1") s"

# Each comparison runs in the order slipway, hand, hand, slipway and reports the means, so neither side
# always pays for the checkpoint and WAL archiving the previous step left behind.
mean() { printf "%.2f" "$(echo "scale=4; ($1 + $2) / 2" | bc)"; }
drop_tables() { env $(env_of "$hand") "$bin/psql" -qtAXc "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers"; }

# Backup: Slipway (snapshot row counts + pg_dump + checksum, then verification by a restore) vs pg_dump by hand.
slip_backup_once() {
  local t0 t1; t0=$(now); "$exe" db backup --app bench --data "$data" --json >"$work/backup.json"; t1=$(now)
  echo "$(secs "$t0" "$t1") $(echo "scale=3; $(json durationMs <"$work/backup.json") / 1000" | bc)"
}
hand_dump_once() { local t0 t1; t0=$(now); env $(env_of "$url") "$bin/pg_dump" --format=custom --compress=6 --file="$work/hand.dump"; t1=$(now); secs "$t0" "$t1"; }
read -r b1 d1 < <(slip_backup_once); h1=$(hand_dump_once); h2=$(hand_dump_once); read -r b2 d2 < <(slip_backup_once)
slip_backup=$(mean "$b1" "$b2"); dump_s=$(mean "$d1" "$d2"); hand_dump=$(mean "$h1" "$h2")
status=$(json status <"$work/backup.json")
id=$(json id <"$work/backup.json")
size=$(json sizeBytes <"$work/backup.json")

# Restore: Slipway into a new database vs pg_restore by hand into an empty one.
slip_restore_once() { local t0 t1; t0=$(now); "$exe" db restore "$id" --to-new "$1" --data "$data" >/dev/null; t1=$(now); secs "$t0" "$t1"; }
hand_restore_once() {
  local t0 t1; drop_tables; t0=$(now)
  env $(env_of "$hand") "$bin/pg_restore" --no-owner --no-privileges --exit-on-error -d "${hand##*/}" "$work/hand.dump"; t1=$(now); secs "$t0" "$t1"
}
r1=$(slip_restore_once bench_r1); g1=$(hand_restore_once); g2=$(hand_restore_once); r2=$(slip_restore_once bench_r2)
slip_restore=$(mean "$r1" "$r2"); hand_restore=$(mean "$g1" "$g2")

# Branch: Slipway (a new environment, then a refresh of it) vs pg_dump | pg_restore by hand.
slip_branch_once() {
  local t0 t1; t0=$(now); "$exe" db branch --app bench --from production --env preview --data "$data" >>"$work/branch.out"; t1=$(now); secs "$t0" "$t1"
}
hand_branch_once() {
  local t0 t1; drop_tables; t0=$(now)
  env $(env_of "$url") "$bin/pg_dump" --format=custom --compress=0 | env $(env_of "$hand") "$bin/pg_restore" --no-owner --no-privileges --exit-on-error -d "${hand##*/}"
  t1=$(now); secs "$t0" "$t1"
}
s1=$(slip_branch_once); k1=$(hand_branch_once); k2=$(hand_branch_once); s2=$(slip_branch_once)
slip_branch=$(mean "$s1" "$s2"); hand_branch=$(mean "$k1" "$k2")
sed 's/^/bench: /' "$work/branch.out"
echo "bench: runs (slipway, hand, hand, slipway): backup $b1 $h1 $h2 $b2; restore $r1 $g1 $g2 $r2; branch $s1 $k1 $k2 $s2"

ratio() { printf "%.2f" "$(echo "scale=4; $1 / $2" | bc)"; }
per_gb() { echo "scale=1; $1 / $gb" | bc; }
echo
echo "database: $gb GB (pgbench scale $scale); backup file $(echo "scale=1; $size / 1024 / 1024" | bc) MB, status $status"
printf "%-34s %10s %10s %8s\n" "" "slipway" "by hand" "ratio"
printf "%-34s %9ss %9ss %8s\n" "backup (slipway: dump only)" "$dump_s" "$hand_dump" "$(ratio "$dump_s" "$hand_dump")"
printf "%-34s %9ss %9ss %8s\n" "backup + verification" "$slip_backup" "$hand_dump" "$(ratio "$slip_backup" "$hand_dump")"
printf "%-34s %9ss %9ss %8s\n" "restore (to a new database)" "$slip_restore" "$hand_restore" "$(ratio "$slip_restore" "$hand_restore")"
printf "%-34s %9ss %9ss %8s\n" "branch (dump | restore)" "$slip_branch" "$hand_branch" "$(ratio "$slip_branch" "$hand_branch")"
echo
echo "per GB: backup $(per_gb "$dump_s") s, backup+verify $(per_gb "$slip_backup") s, restore $(per_gb "$slip_restore") s, branch $(per_gb "$slip_branch") s"
