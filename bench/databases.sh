#!/usr/bin/env bash
# Databases benchmark: backup, restore and branch throughput of Slipway's managed PostgreSQL for a generated
# database (pgbench, ~1 GB at the default scale), each beside the same work done by hand with plain
# pg_dump / pg_restore in the same run (compare ratios, not seconds: the machines are noisy).
#
#   bench/databases.sh [PGBENCH_SCALE]      (default 68: about 1 GB on disk; about 5 minutes, and an estimated 3 to 4
#                                           more for the off-site rows)
#
#   backup   slipway db backup (pg_dump -Fc in a snapshot, checksum, then verification: restore into a
#            scratch database and compare row counts)   vs   pg_dump -Fc -Z6 by hand
#   restore  slipway db restore ID --to-new NAME (checksum, pg_restore, record)   vs   pg_restore by hand
#   branch   slipway db branch (pg_dump streamed into pg_restore, atomic switch)  vs   pg_dump | pg_restore by hand
#
# Off-site rows, against s3rver (an S3-compatible server from npm, the one the tests use) on loopback, added to the
# platform with `slipway storage add --no-local` so that the store holds the only copy of each backup:
#   off-site backup   slipway db backup: pg_dump -Fc, checksum, sealed (AES-256-GCM, backup key), uploaded, read back
#                     and its SHA-256 compared, local file deleted   vs   pg_dump -Fc -Z6, then aws s3 cp up by hand
#                     (no encryption, no read-back); "+ verification" adds Slipway's download, open and restore into a
#                     scratch database with row counts compared (nothing by hand)
#   off-site restore  slipway db restore ID --to-new NAME of that backup: download, open, checksum, pg_restore
#                     vs   aws s3 cp down, then pg_restore by hand
#   copy / fetch      Slipway's copy off the machine (seal, upload, read back) in MB/s beside aws s3 cp's upload, and
#                     its fetch before a restore (download, open, checksum) beside aws s3 cp's download
# They run first, so that the store ships only the WAL of the generation (`slipway storage sync`, once, before them,
# untimed), and after each step the WAL that step archived (untimed again: the next step does not pay for it); the
# store is removed before the other rows. aws s3 cp keeps its defaults (parts of 8 MB, 10 at a time) and its times
# include the CLI's own start (most of a second: Python), as slipway's include its CLI's; Slipway uploads parts of
# 16 MB one after another.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scale=${1:-68}
for need in bc curl node:nodejs npm aws:awscli; do
  tool=${need%%:*}
  command -v "$tool" >/dev/null || { echo "bench: needs $tool (apt-get install ${need#*:})" >&2; exit 1; }
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
  [ -n "${s3_pid:-}" ] && kill "$s3_pid" 2>/dev/null && wait "$s3_pid" 2>/dev/null || true
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

"$exe" db create --create --app bench --data "$data" >/dev/null
"$exe" db create --create --app byhand --data "$data" >/dev/null
url=$("$exe" db url --app bench --data "$data")
hand=$("$exe" db url --app byhand --data "$data")

echo "bench: generating the database (pgbench -i -s $scale)"
t0=$(now); env $(env_of "$url") "$bin/pgbench" -i -s "$scale" -q >"$work/pgbench.log" 2>&1; t1=$(now)
bytes=$(env $(env_of "$url") "$bin/psql" -tAXc "select pg_database_size(current_database())")
gb=$(echo "scale=3; $bytes / 1024 / 1024 / 1024" | bc)
echo "bench: database is $gb GB ($bytes bytes), generated in $(secs "$t0" "$t1") s"

# The S3-compatible server: s3rver from the tests' lock file, a port of its own (-p 0), a fresh directory, one bucket.
echo "bench: installing s3rver (npm ci), the S3-compatible server of the off-site rows"
mkdir -p "$work/s3rver" "$work/s3"
cp "$root/tests/Slipway.Tests/Offsite/S3Server/package.json" "$root/tests/Slipway.Tests/Offsite/S3Server/package-lock.json" "$work/s3rver/"
(cd "$work/s3rver" && npm ci --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1 || { cat "$work/npm.log" >&2; exit 1; }
node "$work/s3rver/node_modules/s3rver/bin/s3rver.js" -d "$work/s3" -a 127.0.0.1 -p 0 --configure-bucket backups >"$work/s3rver.log" 2>&1 &
s3_pid=$!
s3_port=
for _ in $(seq 150); do
  s3_port=$(sed -n 's/.*listening on [^:[:space:]]*:\([0-9][0-9]*\).*/\1/p' "$work/s3rver.log" | head -1)
  [ -n "$s3_port" ] && break
  sleep 0.2
done
[ -n "$s3_port" ] || { echo "bench: s3rver did not start:" >&2; cat "$work/s3rver.log" >&2; exit 1; }
s3_url="http://127.0.0.1:$s3_port"
# The AWS CLI by hand: s3rver's fixed keys, a region, the endpoint on every call, no instance metadata, no profile
# or proxy from this machine, and checksums only where required (as Slipway asks of its SDK: s3rver does not speak
# the newer default checksum trailers).
aws_s3() {
  env -u AWS_PROFILE AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 \
    AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required \
    aws --endpoint-url "$s3_url" s3 "$@"
}
printf '%s\n%s\n' S3RVER S3RVER | "$exe" storage add offsite --endpoint "$s3_url" --bucket backups --prefix slipway --no-local --data "$data" >/dev/null
t0=$(now); "$exe" storage sync --data "$data" >/dev/null; t1=$(now)
echo "bench: off-site store added (s3rver at $s3_url, no local copies); what was archived so far copied to it in $(secs "$t0" "$t1") s"

# Each comparison runs in the order slipway, hand, hand, slipway and reports the means, so neither side
# always pays for the checkpoint and WAL archiving the previous step left behind.
mean() { printf "%.2f" "$(echo "scale=4; ($1 + $2) / 2" | bc)"; }
drop_tables() { env PGOPTIONS="-c client_min_messages=warning" $(env_of "$hand") "$bin/psql" -qtAXc "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers"; }

# Off-site rows (while the store is there; removed after them). Each step ends by copying the WAL it archived to the
# store, untimed (ship, before the step prints its times: `read < <(...)` does not wait for the rest), so the next
# step does not pay for it; ship.times keeps how long those copies took.
ship() { local t0 t1; t0=$(now); "$exe" storage sync --data "$data" >/dev/null; t1=$(now); echo "$(secs "$t0" "$t1")" >>"$work/ship.times"; }
# The CLI prints each step as the platform reports it, stamped in tenths of a second: each line is stamped again on
# arrival (stamp), finely enough to time a copy of a few MB; step_at TEXT FILE gives when that step arrived.
stamp() { local line; while IFS= read -r line; do echo "$(now) $line"; done; }
step_at() { sed -n "s/^\([0-9.]*\) *[0-9.]*s  $1.*/\1/p" "$2" | head -1; }
# Slipway: total, dump + copy (durationMs), the copy alone (from "dump written ... storing it" to "verifying"), the id.
slip_offsite_backup_once() {
  local t0 t1 out="$work/offsite-backup.out" id ms
  t0=$(now); "$exe" db backup --app bench --data "$data" | stamp >"$out"; t1=$(now)
  id=$(sed -n 's/^[0-9.]* Backup \([^:]*\): verified.*/\1/p' "$out"); ms=$(sed -n 's/^[0-9.]* Backup .*, \([0-9]*\) ms)$/\1/p' "$out")
  [ -n "$id" ] || { echo "bench: the off-site backup was not verified:" >&2; cat "$out" >&2; exit 1; }
  ship
  echo "$(secs "$t0" "$t1") $(echo "scale=3; $ms / 1000" | bc) $(secs "$(step_at "dump written" "$out")" "$(step_at verifying "$out")") $id"
}
# By hand: total, the upload alone.
hand_offsite_backup_once() {
  local t0 t1 t2; t0=$(now)
  env $(env_of "$url") "$bin/pg_dump" --format=custom --compress=6 --file="$work/offsite.dump"; t1=$(now)
  aws_s3 cp --only-show-errors "$work/offsite.dump" s3://backups/byhand/bench.dump; t2=$(now)
  ship
  echo "$(secs "$t0" "$t2") $(secs "$t1" "$t2")"
}
# Slipway: total, the fetch (until "matches its checksum").
slip_offsite_restore_once() {
  local t0 t1 out="$work/offsite-restore.out"
  t0=$(now); "$exe" db restore "$offsite_id" --to-new "$1" --data "$data" | stamp >"$out"; t1=$(now)
  ship
  echo "$(secs "$t0" "$t1") $(secs "$t0" "$(step_at "backup .* matches its checksum" "$out")")"
}
# By hand: total, the download alone.
hand_offsite_restore_once() {
  local t0 t1 t2; drop_tables; t0=$(now)
  aws_s3 cp --only-show-errors s3://backups/byhand/bench.dump "$work/fetched.dump"; t1=$(now)
  env $(env_of "$hand") "$bin/pg_restore" --no-owner --no-privileges --exit-on-error -d "${hand##*/}" "$work/fetched.dump"; t2=$(now)
  rm -f "$work/fetched.dump"
  ship
  echo "$(secs "$t0" "$t2") $(secs "$t0" "$t1")"
}
echo "bench: off-site backups and restores"
read -r ob1 od1 oc1 _ < <(slip_offsite_backup_once); read -r oh1 ou1 < <(hand_offsite_backup_once)
read -r oh2 ou2 < <(hand_offsite_backup_once); read -r ob2 od2 oc2 offsite_id < <(slip_offsite_backup_once)
# The store must hold it, and nothing stay here: else the rows below would time a local backup.
for v in ob1 od1 oc1 oh1 ou1 oh2 ou2 ob2 od2 oc2 offsite_id; do [ -n "${!v}" ] || { echo "bench: an off-site backup step failed (its output is above)" >&2; exit 1; }; done
sealed=$( (aws_s3 ls "s3://backups/slipway/databases/bench/main/$offsite_id.dump.sealed" || true) | awk '{print $3}')
[ -n "$sealed" ] || { echo "bench: backup $offsite_id is not in the store (see 'slipway events'); the off-site rows would time local backups" >&2; exit 1; }
[ -z "$(find "$data" "$work/databases" -name "$offsite_id.dump" 2>/dev/null)" ] || { echo "bench: backup $offsite_id kept a local copy despite --no-local" >&2; exit 1; }
hand_bytes=$(stat -c %s "$work/offsite.dump")
read -r or1 of1 < <(slip_offsite_restore_once bench_o1); read -r og1 ow1 < <(hand_offsite_restore_once)
read -r og2 ow2 < <(hand_offsite_restore_once); read -r or2 of2 < <(slip_offsite_restore_once bench_o2)
for v in or1 of1 og1 ow1 og2 ow2 or2 of2; do [ -n "${!v}" ] || { echo "bench: an off-site restore step failed (its output is above)" >&2; exit 1; }; done
offsite_backup=$(mean "$ob1" "$ob2"); offsite_dump=$(mean "$od1" "$od2"); offsite_copy=$(mean "$oc1" "$oc2"); hand_offsite_backup=$(mean "$oh1" "$oh2")
hand_upload=$(mean "$ou1" "$ou2"); offsite_restore=$(mean "$or1" "$or2"); offsite_fetch=$(mean "$of1" "$of2")
hand_offsite_restore=$(mean "$og1" "$og2"); hand_download=$(mean "$ow1" "$ow2")
"$exe" storage rm offsite --force --data "$data" >/dev/null
echo "bench: off-site runs (slipway, hand, hand, slipway): backup $ob1 $oh1 $oh2 $ob2 (copy up $oc1 $ou1 $ou2 $oc2);" \
  "restore $or1 $og1 $og2 $or2 (fetch $of1 $ow1 $ow2 $of2); WAL copied to the store between steps, untimed: $(paste -sd+ "$work/ship.times" | bc) s"

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
printf "%-34s %9ss %9ss %8s\n" "off-site backup (dump + copy)" "$offsite_dump" "$hand_offsite_backup" "$(ratio "$offsite_dump" "$hand_offsite_backup")"
printf "%-34s %9ss %9ss %8s\n" "off-site backup + verification" "$offsite_backup" "$hand_offsite_backup" "$(ratio "$offsite_backup" "$hand_offsite_backup")"
printf "%-34s %9ss %9ss %8s\n" "off-site restore (store only)" "$offsite_restore" "$hand_offsite_restore" "$(ratio "$offsite_restore" "$hand_offsite_restore")"
printf "%-34s %9ss %9ss %8s\n" "  of which the copy up" "$offsite_copy" "$hand_upload" "$(ratio "$offsite_copy" "$hand_upload")"
printf "%-34s %9ss %9ss %8s\n" "  of which the fetch down" "$offsite_fetch" "$hand_download" "$(ratio "$offsite_fetch" "$hand_download")"
echo
echo "per GB: backup $(per_gb "$dump_s") s, backup+verify $(per_gb "$slip_backup") s, restore $(per_gb "$slip_restore") s, branch $(per_gb "$slip_branch") s," \
  "off-site backup $(per_gb "$offsite_dump") s, off-site restore $(per_gb "$offsite_restore") s"
mb_s() { if [ "$(echo "$2 < 0.01" | bc)" = 1 ]; then echo "(too fast to time)"; else printf "%.1f MB/s" "$(echo "scale=3; $1 / 1024 / 1024 / $2" | bc)"; fi; }
echo "off-site copy of $(printf "%.1f" "$(echo "scale=3; $sealed / 1024 / 1024" | bc)") MB: slipway $(mb_s "$sealed" "$offsite_copy") (seal, upload, read back, SHA-256);" \
  "aws s3 cp $(mb_s "$hand_bytes" "$hand_upload") (upload only, the CLI's start included)"
