#!/usr/bin/env bash
# Side by side with the three anchors beside the repository (../shared/bench/): anchor-locker (node.js
# locker-server, in memory), anchor-redisson (Redis 7, AOF appendfsync always) and anchor-curator
# (ZooKeeper 3.9, fsync), then this repository's scenarios 1 and 2 in every configuration (packaged:
# journal fsync=always with Basic auth; memory only; the three-node cluster, and its failover) with the
# anchors' counts and names (5 and 64 clients on k0..k9999, 50 clients on one lock of size 1). Prints one
# table and the target ratios.
# usage: bench/compare.sh [SECONDS]   (each measured window, anchors' and ours; default 10, at most 22)
# environment: ANCHORS="locker redisson curator" (which anchors run), CONFIGS="durable memory cluster"
# (which of ours run; see run.sh), FAILOVER_KILLS (run.sh's)
# Needs what run.sh needs, node and npm (locker), redis-server (Debian: apt-get install -y redis-server)
# and mvn reaching Maven Central or a filled ~/.m2 (redisson, curator). Anchor logs: bench/build/compare-*.log
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/seconds.sh
. "$here/seconds.sh"
bench_seconds compare.sh "${1:-}"
shared=$(cd "$here/../.." && pwd)/shared/bench
anchors=${ANCHORS:-locker redisson curator}
for name in $anchors; do
    case $name in
        locker | redisson | curator) ;;
        *) echo "compare: ANCHORS takes locker, redisson and/or curator, not '$name'" >&2; exit 64 ;;
    esac
done
configs=${CONFIGS:-durable memory cluster}

# what each anchor's run.sh runs; checked before anything starts, so a missing tool costs no run
needs() {
    case $1 in
        locker) echo "node npm python3 awk" ;;
        redisson) echo "java mvn python3 awk timeout redis-server" ;;
        curator) echo "java mvn python3 awk timeout" ;;
    esac
}
for name in $anchors; do
    if [ ! -f "$shared/anchor-$name/run.sh" ]; then
        echo "compare: anchor-$name is missing: expected $shared/anchor-$name/run.sh (shared/bench/ beside the repository)" >&2
        exit 69
    fi
    for tool in $(needs "$name"); do
        if ! command -v "$tool" >/dev/null; then
            hint=
            [ "$tool" = redis-server ] && hint=" (Debian: apt-get install -y redis-server)"
            echo "compare: anchor-$name needs $tool, which is not on PATH$hint" >&2
            exit 69
        fi
    done
done

tmp=$(mktemp -d /tmp/lockcompare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$here/build"

for name in $anchors; do
    log=$here/build/compare-$name.log
    echo "# anchor-$name: $shared/anchor-$name/run.sh $secs (log: $log)" >&2
    rc=0
    bash "$shared/anchor-$name/run.sh" "$secs" >"$tmp/$name.jsonl" 2>"$log" || rc=$?
    if [ "$rc" != 0 ] || [ "$(grep -c '^{' "$tmp/$name.jsonl")" != 3 ]; then
        echo "compare: anchor-$name failed (exit $rc, $(grep -c '^{' "$tmp/$name.jsonl") of 3 scenarios): $(tail -1 "$log" 2>/dev/null || true) (whole log: $log)" >&2
        exit 70
    fi
    sed 's/^/  /' "$tmp/$name.jsonl" >&2
done

echo "# lockserver: scenarios 1 and 2 in $configs (5 and 64 clients; 50 clients on a lock of size 1), cluster failover" >&2
SCENARIOS="1 2 failover" CONFIGS="$configs" CLIENT_COUNTS="5 64" HANDOFF_SIZES=1 HANDOFF_PERIODS=1 \
    BENCH_OUT="$tmp/rows.txt" "$here/run.sh" "$secs" >"$tmp/ours.txt"
cat "$tmp/ours.txt" >&2
mkdir -p "$here/build"
cp "$tmp/rows.txt" "$here/build/compare-rows.txt"
for name in $anchors; do
    cp "$tmp/$name.jsonl" "$here/build/compare-$name.jsonl"
done
python3 "$here/compare.py" "$secs" "$tmp/rows.txt" $(for name in $anchors; do printf '%s=%s ' "$name" "$tmp/$name.jsonl"; done)
