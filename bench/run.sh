#!/usr/bin/env bash
# lockserver benchmark: builds the server jar and the load driver, runs the scenarios of
# bench/README.md against servers it starts on 127.0.0.1, prints one table and ends with
#   RESULT cycles_5=N cycles_64=N handoff_p99_ms=X server_rss_mb=N durable_cycles_5=N durable_cycles_64=N durable_handoff_p99_ms=X durable_server_rss_mb=N cluster_cycles_5=N cluster_cycles_64=N cluster_handoff_p99_ms=X cluster_failover_p50_ms=X cluster_failover_p99_ms=X cluster_node_rss_mb=N cluster_violations=N
# (the first four memory only without users, the durable_ ones as the Debian package runs: journal in
# DATA_DIR with JOURNAL_FSYNC=always, one [user] and HTTP Basic auth on every call; the cluster_ ones
# three nodes on this machine, each configured as the durable server plus [cluster])
# usage: bench/run.sh [SECONDS]     (SECONDS: measured time per scenario, default 10, at most 22)
# environment (all optional):
#   SCENARIOS="1 2 3 4 5 6 wrk start failover"  which parts to run (default: all; failover needs cluster in CONFIGS)
#   BENCH_FSYNC=always     JOURNAL_FSYNC of the durable configuration (never: what the fsync costs)
#   CONFIGS="durable memory cluster"  server configurations of scenarios 1 and 2: durable (packaged: journal
#                          with fsync, Basic auth), memory (no DATA_DIR, no users) and/or cluster (three
#                          nodes, each durable plus [cluster]); the others run memory
#   FAILOVER_KILLS=10      kill -9 of the cluster's leader, each followed by a restart of the node
#   CLUSTER_WARMUP=45      unmeasured seconds of 64-client load on each fresh cluster before its
#                          scenario 1 or 2 window (three JVMs' JIT at a few hundred cycles/s needs them)
#   RUNS=1                 repeat scenarios 1 and 2 RUNS times; the table shows the median
#   CLIENT_COUNTS="5 16 64" HANDOFF_SIZES="1 6" HANDOFF_PERIODS="1 0.1"   what scenarios 1 and 2 cover
#   CLIENT_MODES=shared    LockClient per driver: "shared" (one for all threads), "per-thread", or both
#   SERVER_JAVA_OPTS=      JVM options of the server (default: the packaged ones, JAVA_OPTS in
#                          debian/lockserver.default; set it empty for the bare JVM defaults)
#   WRK_SERVER_JAVA_OPTS=  JVM options of the wrk server (default none: its ~400,000 never-released
#                          tickets need more heap than the packaged 128 MB)
#   JFR=0                  1: record the 64-client throughput run with JFR, print the hot methods
#   BENCH_NO_BUILD=0       1: use the existing target/lockserver.jar
#   BENCH_OUT=bench/build/last-run.txt   where the raw ROW lines are kept
#   WARMUP=5               unmeasured seconds before each window (a fresh server's JIT needs them)
#   WAIT_QUIET=0           on a shared machine: wait up to this many seconds before each measurement
#                          for the machine to be idle (other users' CPU below 15 % of one core)
# Never part of the test run: Maven does not compile or run anything under bench/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/seconds.sh
. "$here/seconds.sh"
bench_seconds run.sh "${1:-}"
warmup=${WARMUP:-5}
scenarios=" ${SCENARIOS:-1 2 3 4 5 6 wrk start failover} "
runs=${RUNS:-1}
configs=${CONFIGS:-durable memory cluster}
for config in $configs; do
    case $config in
        durable | memory | cluster) ;;
        *) echo "bench: CONFIGS takes durable, memory and/or cluster, not '$config'" >&2; exit 64 ;;
    esac
done
kills=${FAILOVER_KILLS:-10}
cluster_warmup=${CLUSTER_WARMUP:-45}
[[ $cluster_warmup =~ ^[0-9]+$ ]] || { echo "bench: CLUSTER_WARMUP takes whole seconds, not '$cluster_warmup'" >&2; exit 64; }
[[ $kills =~ ^[1-9][0-9]?$ ]] || { echo "bench: FAILOVER_KILLS takes 1 to 99, not '$kills'" >&2; exit 64; }
client_modes=${CLIENT_MODES:-shared}
# by default the server runs as the Debian package runs it
packaged_opts=$(sed -n 's/^JAVA_OPTS="\(.*\)"$/\1/p' "$root/debian/lockserver.default")
server_opts=${SERVER_JAVA_OPTS-$packaged_opts}
jar=$root/target/lockserver.jar
build=$here/build
out=${BENCH_OUT:-$build/last-run.txt}
names=10000

has() { [[ $scenarios == *" $1 "* ]]; }

for tool in java javac python3 curl; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 69; }
done

# ---------------------------------------------------------------- build
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    echo "# building target/lockserver.jar (mvn -q -DskipTests package)" >&2
    (cd "$root" && mvn -q -B -Dstyle.color=never -DskipTests package) 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2
fi
[ -f "$jar" ] || { echo "bench: $jar is missing" >&2; exit 69; }
rm -rf "$build/classes"
mkdir -p "$build/classes"
find "$here/src" -name '*.java' -print0 | xargs -0 javac -nowarn -cp "$jar" -d "$build/classes"
cp="$jar:$build/classes"

# the durable configuration's one user (ROLE=client), as a site with users has; its PASSWORD is the
# hash the server itself makes (--hash-password reads the password from stdin when it is no terminal)
bench_user=bench
bench_password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
bench_hash=
if [[ " $configs " == *" durable "* || " $configs " == *" cluster "* ]]; then
    bench_hash=$(printf '%s\n' "$bench_password" | java -jar "$jar" --hash-password)
    [[ $bench_hash == pbkdf2-* ]] || { echo "bench: java -jar $jar --hash-password printed no hash" >&2; exit 70; }
fi

tmp=$(mktemp -d /tmp/lockbench.XXXXXX)
server_pid=
data_dir=
cluster_dir=
pids=           # the server's pid, or the cluster nodes' pids comma-separated: what the driver measures
log_file=$tmp/lockserver.log
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    stop_cluster
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rows=$tmp/rows.txt
: >"$rows"
mkdir -p "$(dirname "$out")"

free_port() {
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# free_ports N: N distinct free loopback ports, one a line (all bound at once, so no two are the same)
free_ports() {
    python3 -c 'import socket,sys
ss=[socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1",0))
print("\n".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

# the locks of every scenario, as [lock NAME] sections: k0..k9999 of size 1 (throughput, wrk),
# one (size 1) and six (size 6) for the hand-off, full (size 1) for the many waiters
locks_conf=$tmp/locks.conf
{
    for ((i = 0; i < names; i++)); do
        printf '[lock k%d]\nSIZE=1\n' "$i"
    done
    printf '[lock one]\nSIZE=1\n[lock six]\nSIZE=6\n[lock full]\nSIZE=1\n'
} >"$locks_conf"

# write_conf FILE PORT PERIOD THREADS [DATA_DIR]: a server config with every bench lock; with a
# DATA_DIR the packaged configuration: the journal there, fsynced before each answer, and one user
write_conf() {
    {
        cat <<EOF
[general]
SERVER=127.0.0.1
PORT=$2
LOG_FILE=$log_file
LOGLEVEL=info
LIFECYCLE_PERIOD=$3
MAX_THREADS=$4
EOF
        if [ -n "${5:-}" ]; then
            printf 'DATA_DIR=%s\nJOURNAL_FSYNC=%s\n' "$5" "${BENCH_FSYNC:-always}"
        fi
        cat "$locks_conf"
        if [ -n "${5:-}" ]; then
            printf '[user %s]\nPASSWORD=%s\nROLE=client\n' "$bench_user" "$bench_hash"
        fi
    } >"$1"
}

# start_server CONFIG PERIOD THREADS [JVM options...]: starts a server (CONFIG durable: with a fresh
# DATA_DIR under $tmp, on /tmp's disk, and credentials in $url; memory: neither), sets $server_pid and $url
start_server() {
    local config=$1 period=$2 threads=$3
    shift 3
    local port auth=
    port=$(free_port)
    if [ "$config" = durable ]; then
        data_dir=$(mktemp -d "$tmp/data.XXXXXX")
        auth=$bench_user:$bench_password@
    fi
    write_conf "$tmp/server.conf" "$port" "$period" "$threads" "$data_dir"
    # shellcheck disable=SC2086
    java $server_opts "$@" -jar "$jar" --config "$tmp/server.conf" >>"$tmp/server.out" 2>&1 &
    server_pid=$!
    url=http://${auth}127.0.0.1:$port/RPC2
    pids=$server_pid
    local i
    for i in $(seq 1 300); do
        if ping_server; then
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench: the server did not start; its output:" >&2
    tail -5 "$tmp/server.out" >&2
    exit 70
}

ping_server() {   # ping_server [URL]: true if the server at URL (default $url) answers server.ping
    curl -s -m 2 -H 'Content-Type: text/xml' \
        --data '<?xml version="1.0"?><methodCall><methodName>server.ping</methodName><params/></methodCall>' \
        "${1:-$url}" 2>/dev/null | grep -q '<boolean>1</boolean>'
}

# ------------------------------------------------------------ the cluster
# Three nodes n1..n3 on this machine, each its own JVM with the server's JVM options and the
# durable (packaged) configuration (its own DATA_DIR, JOURNAL_FSYNC, the [user] bench) plus a
# [cluster] section, and a second user benchadmin (ROLE=admin, same password) through which the
# failover driver asks admin.cluster who leads. The nodes are children of this shell (so that
# it reaps them); their pids are in $cluster_dir/nI.pid, as the failover driver reads them.
cluster_leader() {   # cluster_leader ADMIN_URL: the leader that node names, or nothing
    curl -s -m 2 -H 'Content-Type: text/xml' \
        --data '<?xml version="1.0"?><methodCall><methodName>admin.cluster</methodName><params/></methodCall>' \
        "$1" 2>/dev/null | sed -n 's|.*<name>leader</name><value>\([^<]*\)</value>.*|\1|p' || true
}

start_node() {   # start_node I: starts node I (again), keeping its DATA_DIR
    # shellcheck disable=SC2086
    java $server_opts -jar "$jar" --config "$cluster_dir/n$1.conf" </dev/null >>"$cluster_dir/n$1.out" 2>&1 &
    echo $! >"$cluster_dir/n$1.pid"
    disown $!   # still this shell's child, which reaps it, but no "Killed" line when the driver kills it
}

# start_cluster PERIOD THREADS: starts the three nodes, waits until each answers and all name one
# leader; sets $url (the nodes' URLs, comma-separated), $admin_urls, $pids and $pid_files
start_cluster() {
    local period=$1 threads=$2 i ports peers leader ok
    cluster_dir=$(mktemp -d "$tmp/cluster.XXXXXX")
    mapfile -t ports < <(free_ports 6)   # HTTP ports 0-2, Raft ports 3-5
    peers=n1@127.0.0.1:${ports[3]},n2@127.0.0.1:${ports[4]},n3@127.0.0.1:${ports[5]}
    url= admin_urls= pid_files=
    for i in 1 2 3; do
        mkdir "$cluster_dir/n$i"
        log_file=$cluster_dir/n$i.log
        write_conf "$cluster_dir/n$i.conf" "${ports[i - 1]}" "$period" "$threads" "$cluster_dir/n$i"
        printf '[user benchadmin]\nPASSWORD=%s\nROLE=admin\n[cluster]\nNODE_ID=n%d\nPEERS=%s\n' \
            "$bench_hash" "$i" "$peers" >>"$cluster_dir/n$i.conf"
        url=$url${url:+,}http://$bench_user:$bench_password@127.0.0.1:${ports[i - 1]}/RPC2
        admin_urls=$admin_urls${admin_urls:+,}http://benchadmin:$bench_password@127.0.0.1:${ports[i - 1]}/RPC2
        pid_files=$pid_files${pid_files:+,}$cluster_dir/n$i.pid
    done
    log_file=$tmp/lockserver.log
    for i in 1 2 3; do
        start_node "$i"
    done
    pids=$(cat "$cluster_dir/n1.pid"),$(cat "$cluster_dir/n2.pid"),$(cat "$cluster_dir/n3.pid")
    for i in $(seq 1 900); do   # 90 s: three JVMs reading 10,003 [lock] sections on two cores
        ok=1
        for u in ${url//,/ }; do
            ping_server "$u" || { ok=; break; }
        done
        leader=
        if [ -n "$ok" ]; then
            leader=$(cluster_leader "${admin_urls%%,*}")
        fi
        [ -n "$leader" ] && break
        sleep 0.1
    done
    if [ -z "$leader" ]; then
        echo "bench: the cluster did not start (or elected no leader); node 1's output:" >&2
        tail -5 "$cluster_dir/n1.out" >&2
        exit 70
    fi
    echo "  cluster up: nodes pids $pids, leader $leader" >&2
}

stop_cluster() {
    [ -n "$cluster_dir" ] || return 0
    local i pid n
    for i in 1 2 3; do
        pid=$(cat "$cluster_dir/n$i.pid" 2>/dev/null) && kill "$pid" 2>/dev/null || true
    done
    for i in 1 2 3; do
        pid=$(cat "$cluster_dir/n$i.pid" 2>/dev/null) || continue
        for n in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$cluster_dir"
    cluster_dir=
}

start_config() {   # start_config CONFIG PERIOD THREADS: a single server, or the cluster (warmed up)
    if [ "$1" = cluster ]; then
        start_cluster "$2" "$3"
        if [ "$cluster_warmup" -gt 0 ]; then
            # the JIT of three fresh JVMs: throughput still doubled from the first to the fourth
            # minute of load at 5 clients; 64 clients get there sooner. Not measured.
            driver throughput clients=64 seconds="$cluster_warmup" warmup=0 names=$names \
                | sed -n 's/^ROW.* cycles_s=\([0-9]*\).*/  cluster warm-up: '"$cluster_warmup"' s of 64 clients, \1 cycles\/s/p' >&2
        fi
    else
        start_server "$@"
    fi
}

stop_config() {
    stop_server
    stop_cluster
}

stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
    if [ -n "$data_dir" ]; then
        rm -rf "$data_dir"
        data_dir=
    fi
}

# quiet: with WAIT_QUIET=N, waits (at most N s) until the machine's CPU use over 2 s is below 15 %
# of one core, so that other users' builds do not distort the next measurement
quiet() {
    local limit=${WAIT_QUIET:-0} waited=0 a b
    [ "$limit" -gt 0 ] || return 0
    while [ "$waited" -lt "$limit" ]; do
        a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat)
        sleep 2
        b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat)
        if [ $(((b - a) / 2)) -lt 15 ]; then
            return 0
        fi
        waited=$((waited + 2))
    done
    echo "# warning: the machine stayed busy for ${limit} s; measuring anyway" >&2
}

driver() {
    # shellcheck disable=SC2086
    java -Xss512k -cp "$cp" LoadDriver "$@" url="$url" pid="$pids"
}

# record TAG: reads driver output, keeps ROW lines (tagged) and shows notes
record() {
    local tag=$1 line
    while IFS= read -r line; do
        case $line in
            ROW*) echo "${line/ROW/ROW $tag}" >>"$rows"; echo "  ${line#ROW }" >&2 ;;
            *) echo "  $line" >&2 ;;
        esac
    done
}

load=$(cut -d' ' -f1 /proc/loadavg)
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $load at start, SECONDS=$secs RUNS=$runs" >&2
echo "# server JVM options: ${server_opts:-(JVM defaults)}; wrk server: ${WRK_SERVER_JAVA_OPTS:-(JVM defaults)}" >&2
echo "# scenarios 1 and 2 in: $configs (durable: DATA_DIR under $tmp, JOURNAL_FSYNC=${BENCH_FSYNC:-always}, Basic auth; cluster: 3 such nodes)" >&2
if awk -v l="$load" 'BEGIN{exit !(l > 1.0)}'; then
    echo "# warning: the machine is busy (load $load): figures will be low and noisy" >&2
fi

# ------------------------------------------------ 1. throughput (and JFR)
for run in $(seq 1 "$runs"); do
    for config in $configs; do
        if has 1; then
            for mode in $client_modes; do
                for clients in ${CLIENT_COUNTS:-5 16 64}; do
                    echo "# scenario 1 (run $run, $config): throughput, $clients clients, client=$mode" >&2
                    quiet
                    start_config "$config" 1 256
                    if [ "${JFR:-0}" = 1 ] && [ "$clients" = 64 ] && [ "$run" = 1 ] && [ "$config" != cluster ]; then
                        # profile the measured window only: the server through jcmd, the driver from its start
                        jfr_server=$build/server-64-$config.jfr jfr_client=$build/client-64-$config.jfr
                        rm -f "$jfr_server" "$jfr_client"
                        # the JDK's "profile" settings with Java method sampling every 1 ms instead of 10 ms
                        jfc=$(dirname "$(readlink -f "$(command -v java)")")/../lib/jfr/profile.jfc
                        sed 's|method-sampling-java-interval">10 ms|method-sampling-java-interval">1 ms|' "$jfc" \
                            >"$build/profile-1ms.jfc"
                        (sleep "$warmup"; jcmd "$server_pid" JFR.start name=bench settings="$build/profile-1ms.jfc" \
                            duration="$((secs > 4 ? secs - 2 : secs))s" filename="$jfr_server" >/dev/null) &
                        jfr_pid=$!
                        java -Xss512k -XX:StartFlightRecording=delay=${warmup}s,duration=$((secs > 4 ? secs - 2 : secs))s,settings=$build/profile-1ms.jfc,filename=$jfr_client \
                            -Xlog:jfr=warning -cp "$cp" LoadDriver throughput url="$url" pid="$server_pid" clients=$clients \
                            seconds=$secs warmup=$warmup names=$names client=$mode scrape_delay=3 \
                            | record "run=$run config=$config"
                        wait "$jfr_pid" || true
                        sleep 1   # the server writes its recording when the duration ends
                    else
                        driver throughput clients=$clients seconds=$secs warmup=$warmup names=$names client=$mode \
                            | record "run=$run config=$config"
                    fi
                    stop_config
                done
            done
        fi
        # ---------------------------------------- 2. hand-off
        if has 2; then
            for period in ${HANDOFF_PERIODS:-1 0.1}; do
                for size in ${HANDOFF_SIZES:-1 6}; do
                    lock=one; [ "$size" = 6 ] && lock=six
                    echo "# scenario 2 (run $run, $config): hand-off, 50 clients, size $size, LIFECYCLE_PERIOD=$period" >&2
                    quiet
                    start_config "$config" "$period" 256
                    driver handoff clients=50 lock=$lock seconds=$secs warmup=$warmup \
                        | record "run=$run config=$config period=$period"
                    stop_config
                done
            done
        fi
    done
done

# ------------------------------------------------ cluster failover
# The driver kills the leader (kill -9) and prints "RESTART I" when node I is to start again;
# this loop, in this shell, starts it, so that every node stays a child of this shell.
if has failover && [[ " $configs " == *" cluster "* ]]; then
    echo "# failover: $kills times kill -9 of the cluster's leader, time to the first grant by the new leader" >&2
    quiet
    start_cluster 1 256
    while IFS= read -r line; do
        case $line in
            "RESTART "[123]) start_node "${line#RESTART }"; echo "  restarted node ${line#RESTART }" >&2 ;;
            ROW*) echo "${line/ROW/ROW config=cluster}" >>"$rows"; echo "  ${line#ROW }" >&2 ;;
            *) echo "  $line" >&2 ;;
        esac
    done < <(java -Xss512k -cp "$cp" LoadDriver failover url="$url" admin="$admin_urls" ids=n1,n2,n3 \
        pidfiles="$pid_files" kills="$kills" names=$names limit=$((60 + 45 * kills)) || true)
    stop_cluster
fi

# ----------------------------------------------- 3. many waiters
if has 3; then
    for threads in 256 2100; do
        echo "# scenario 3: 2,000 clients blocked in lock.wait on a full lock, MAX_THREADS=$threads" >&2
        quiet
        start_server memory 1 "$threads"
        java -Xss256k -cp "$cp" LoadDriver waiters url="$url" pid="$server_pid" clients=2000 lock=full limit=27 \
            | record "max_threads=$threads"
        stop_server
    done
fi

# ------------------------------------------ 4. lifecycle tick at scale
if has 4; then
    for period in 1 0.1; do
        echo "# scenario 4: lifecycle tick over 100,000 tickets in 10,000 locks (in-process, with the journal), period $period s" >&2
        quiet
        # shellcheck disable=SC2086  # the server's JVM options: the tick runs in the server's JVM
        # 12 s of warm-up: the JIT compiles the tick's methods for good only after some 12 s
        # of ticks (PrintCompilation; the calls per second are set by the expiries, not the
        # period); a server runs them for days. Start-up, warm-up and window fit in 30 s.
        java $server_opts -Xlog:disable -cp "$cp" lockserver.bench.TickBench tickets=100000 locks=10000 period=$period seconds=$((secs + 5 > 15 ? 15 : secs + 5)) warmup=12 listeners=server \
            | record "period=$period"
    done
fi

# ------------------------------------- 6. a long queue of mixed priorities
if has 6; then
    for priorities in flat mixed; do
        echo "# scenario 6: 2,000 queued tickets, priorities $priorities (in-process, no journal)" >&2
        quiet
        # shellcheck disable=SC2086  # the server's JVM options
        java $server_opts -Xlog:disable -cp "$cp" lockserver.bench.PriorityBench priorities=$priorities queued=2000 \
            | record "priority"
    done
fi

# --------------------------------------------------- 5. Python clients
if has 5; then
    for how in lockcli keepalive json; do
        echo "# scenario 5: 4 Python processes, $how" >&2
        quiet
        start_server memory 1 256
        python3 "$here/py_throughput.py" --url "$url" --pid "$server_pid" --procs 4 --seconds "$secs" \
            --warmup "$warmup" --names $names --client "$how" --lockcli "$root/src/main/python" | record python
        stop_server
    done
fi

# ------------------------------------------------ wrk on lock.query
if has wrk; then
    if command -v wrk >/dev/null; then
        echo "# wrk: lock.query on 10,000 locks, 2 threads, 50 connections, $secs s" >&2
        quiet
        saved_opts=$server_opts
        server_opts=${WRK_SERVER_JAVA_OPTS-}
        start_server memory 1 256
        server_opts=$saved_opts
        wrk -t2 -c50 -d"${warmup}s" -s "$here/query.lua" "$url" >/dev/null 2>&1 || true   # JIT warm-up
        cpu0=$(awk '{print $14+$15}' "/proc/$server_pid/stat")
        m0=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat)
        wrk -t2 -c50 -d"$((secs))s" --latency -s "$here/query.lua" "$url" >"$tmp/wrk.txt" 2>&1 || true
        cpu1=$(awk '{print $14+$15}' "/proc/$server_pid/stat")
        m1=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat)
        rss=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$server_pid/status")
        python3 "$here/wrk_row.py" "$tmp/wrk.txt" "$secs" "$cpu0" "$cpu1" "$rss" "$m0" "$m1" | record wrk
        stop_server
    else
        echo "# wrk: not installed (apt-get install wrk); skipped" >&2
    fi
fi

# ---------------------------------------------- start to first request
if has start; then
    echo "# start-up: from exec to the first answered server.ping, 3 starts each" >&2
    port=$(free_port)
    printf '[general]\nSERVER=127.0.0.1\nPORT=%s\nLOG_FILE=%s\n' "$port" "$tmp/start.log" >"$tmp/start.conf"
    write_conf "$tmp/start10k.conf" "$port" 1 256
    # started as the package starts it: through debian/lockserver.wrapper, first without the
    # class archive, then with the one the wrapper writes at the first stop (not measured)
    start_runs() {   # start_runs LABEL RUNS CDS_DIR CONFIG
        LOCKSERVER_JAR=$jar LOCKSERVER_DEFAULTS=/dev/null LOCKSERVER_CDS_DIR=$3 JAVA_OPTS="$server_opts" \
            python3 "$here/startup.py" --port "$port" --runs "$2" --label "$1" -- \
            sh "$root/debian/lockserver.wrapper" --config "$4"
    }
    start_runs default-config 3 "" "$tmp/start.conf" | record startup
    start_runs 10k-locks-config 3 "" "$tmp/start10k.conf" | record startup
    mkdir -p "$tmp/cds"
    start_runs archive-writing 1 "$tmp/cds" "$tmp/start.conf" >/dev/null
    start_runs default-config-archive 3 "$tmp/cds" "$tmp/start.conf" | record startup
    start_runs 10k-locks-config-archive 3 "$tmp/cds" "$tmp/start10k.conf" | record startup
fi

if [ "${JFR:-0}" = 1 ] && has 1; then
    for config in $configs; do
        for side in server client; do
            jfr_file=$build/$side-64-$config.jfr
            if [ -s "$jfr_file" ]; then
                echo "# JFR hot methods, $side side, 64-client throughput, $config ($jfr_file):" >&2
                python3 "$here/jfr_hot.py" "$jfr_file" 25 | tee "${jfr_file%.jfr}-hot.txt" | sed 's/^/  /' >&2
            fi
        done
    done
fi

cp "$rows" "$out"
load=$(cut -d' ' -f1 /proc/loadavg)
echo "# load average $load at the end; raw rows in $out" >&2
python3 "$here/report.py" "$rows"
