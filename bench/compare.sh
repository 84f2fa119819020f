#!/usr/bin/env bash
# Side by side with the node.js `locker` anchor: runs ../shared/bench/anchor-locker/run.sh (next to the
# repository) and this repository's scenarios 1 and 2 with the same client counts and lock names
# (5 and 64 clients on k0..k9999, 50 clients on one lock of size 1), then prints both and the ratio.
# usage: bench/compare.sh [SECONDS]   (default 10; needs node and npm for the anchor)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-10}
anchor=$here/../../shared/bench/anchor-locker/run.sh
if [ ! -f "$anchor" ]; then
    echo "compare: the locker anchor is missing: expected $anchor" >&2
    echo "compare: (shared/bench/anchor-locker/ beside the repository, as in the project's workspace)" >&2
    exit 69
fi
tmp=$(mktemp -d /tmp/lockcompare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

echo "# locker anchor: $anchor $secs" >&2
bash "$anchor" "$secs" >"$tmp/locker.jsonl"
cat "$tmp/locker.jsonl" >&2

echo "# lockserver: scenarios 1 and 2 (5 and 64 clients; 50 clients on a lock of size 1)" >&2
SCENARIOS="1 2" CLIENT_COUNTS="5 64" HANDOFF_SIZES=1 HANDOFF_PERIODS=1 BENCH_OUT="$tmp/rows.txt" \
    "$here/run.sh" "$secs" >"$tmp/ours.txt"
cat "$tmp/ours.txt" >&2
python3 "$here/compare.py" "$tmp/locker.jsonl" "$tmp/rows.txt" "$secs"
