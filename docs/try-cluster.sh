#!/bin/sh
# Starts a three-node lockserver cluster on this machine's loopback, to try it:
#   HTTP  http://127.0.0.1:9091/RPC2, :9092, :9093   (status pages at the same ports)
#   Raft  127.0.0.1:9191, :9192, :9193
# State, configs and logs go to a fresh temporary folder. Ctrl-C stops all three.
# Usage: docs/try-cluster.sh [path/to/lockserver.jar]   (default: target/lockserver.jar)
set -eu
jar=${1:-target/lockserver.jar}
[ -f "$jar" ] || jar=/usr/share/lockserver/lockserver.jar
[ -f "$jar" ] || { echo "try-cluster: no lockserver.jar; build it with: mvn -B -q package -DskipTests" >&2; exit 66; }
dir=$(mktemp -d /tmp/lockserver-cluster.XXXXXX)
peers="n1@127.0.0.1:9191,n2@127.0.0.1:9192,n3@127.0.0.1:9193"
pids=""
stop() {
    [ -n "$pids" ] && kill $pids 2>/dev/null && wait $pids 2>/dev/null
    echo "stopped; state, configs and logs are in $dir"
}
trap stop EXIT
trap 'exit 130' INT TERM
for i in 1 2 3; do
    mkdir -p "$dir/n$i"
    cat > "$dir/n$i.conf" <<CONF
[general]
SERVER=127.0.0.1
PORT=909$i
LOG_FILE=$dir/n$i.log
DATA_DIR=$dir/n$i
[lock demo]
SIZE=2
[cluster]
NODE_ID=n$i
PEERS=$peers
CONF
    java -jar "$jar" --config "$dir/n$i.conf" >"$dir/n$i.out" 2>&1 &
    pids="$pids $!"
done
url=http://127.0.0.1:9091/RPC2,http://127.0.0.1:9092/RPC2,http://127.0.0.1:9093/RPC2
echo "three nodes starting in $dir"
echo "try:  LOCKSERVER_URL=$url lockctl cluster"
echo "      LOCKSERVER_URL=$url lockrun -l demo -- sleep 5"
echo "      kill one node (its pid is one of:$pids) and go on; Ctrl-C stops all three"
wait
