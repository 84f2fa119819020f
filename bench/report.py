#!/usr/bin/env python3
"""Reads the ROW lines of bench/run.sh and prints the results table (Markdown) and the
final machine-readable line:
    RESULT cycles_5=N cycles_64=N handoff_p99_ms=X server_rss_mb=N durable_cycles_5=N durable_cycles_64=N durable_handoff_p99_ms=X durable_server_rss_mb=N cluster_cycles_5=N cluster_cycles_64=N cluster_handoff_p99_ms=X cluster_failover_p50_ms=X cluster_failover_p99_ms=X cluster_node_rss_mb=N cluster_violations=N
The first four are the memory-only server without users, the durable_ ones the packaged
configuration (journal with JOURNAL_FSYNC=always, Basic auth), the cluster_ ones three such nodes
in a Raft cluster; a configuration not run gives nan. cluster_node_rss_mb is the largest peak RSS
of any node in any cluster row (throughput, hand-off, failover); cluster_violations counts double
grants and fencing tokens out of order that the drivers saw on locks of size 1 in the cluster rows.
When scenarios 1 and 2 ran several times (RUNS=3), each figure is the median of the runs.
handoff_p99_ms is the worst p99 of the hand-off runs (sizes 1 and 6, both LIFECYCLE_PERIODs);
server_rss_mb is the server's peak RSS in the 64-client throughput run.
usage: report.py ROWS_FILE"""
import statistics
import sys
from collections import OrderedDict


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            if not line.startswith("ROW "):
                continue
            d = {}
            for tok in line.split()[1:]:
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    d[k] = v
            rows.append(d)
    return rows


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def median_rows(rows, keys):
    """Groups rows by the values of keys; each field is the median over the group."""
    groups = OrderedDict()
    for r in rows:
        groups.setdefault(tuple(r.get(k) for k in keys), []).append(r)
    out = []
    for _, rs in groups.items():
        m = dict(rs[0])
        m["runs"] = str(len(rs))
        for k in rs[0]:
            vals = [num(r.get(k)) for r in rs]
            if all(v == v for v in vals) and len(rs) > 1:
                m[k] = fmt(statistics.median(vals))
        out.append(m)
    return out


def fmt(x):
    if x != x:
        return "nan"
    if x == int(x) and abs(x) >= 10:
        return str(int(x))
    return "%.3f" % x if abs(x) < 10 else "%.1f" % x


def us_per_call(r):
    """Server CPU microseconds per XML-RPC call: what one call costs the server, whoever limits the rate."""
    cpu, req = num(r.get("server_cpu_pct")), num(r.get("req_s"))
    return "%d" % round(cpu / 100.0 / req * 1e6) if cpu == cpu and req == req and req > 0 else "-"


# the server configurations of scenarios 1 and 2 (ROW config=...; rows without one are memory only)
CONFIGS = OrderedDict([("durable", "packaged: journal fsync=always, Basic auth"), ("memory", "memory only, no users"),
                       ("cluster", "cluster: 3 nodes (Ratis), each packaged + [cluster], clients spread over them")])


def g(r, k, default="-"):
    v = r.get(k)
    return default if v is None else v


def cluster_notes(r):
    """A cluster row's own fields: each node's peak RSS and the safety violations seen."""
    if r.get("config") != "cluster":
        return ""
    return "; node peak RSS MB %s; %s safety violations" % (g(r, "node_peak_rss_mb"), g(r, "violations"))


def main():
    rows = parse(sys.argv[1])
    by = lambda s: [r for r in rows if r.get("scenario") == s]
    for r in by("throughput") + by("handoff"):
        r.setdefault("config", "memory")
    fails = by("failover")
    thr = median_rows(by("throughput"), ["config", "clients", "client"])
    hof = median_rows(by("handoff"), ["config", "period", "size"])
    lines = ["| # | scenario | setting | cycles/s | req/s | p50 ms | p99 ms | max ms | server CPU % | "
             "server CPU us/call | client CPU % | other CPU % | server RSS MB (peak) | notes |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in thr:
        lines.append("| 1 | throughput | %s; %s clients, 10,000 locks, LockClient %s | %s | %s | %s | %s | | %s | %s | %s | %s | %s | "
                     "acquire latency; %s calls/cycle; %s errors, %s timeouts%s; runs %s |" % (
                         CONFIGS[r["config"]], r["clients"], r.get("client", "shared"), g(r, "cycles_s"), g(r, "req_s"), g(r, "acq_p50_ms"),
                         g(r, "acq_p99_ms"), g(r, "server_cpu_pct"), us_per_call(r), g(r, "client_cpu_pct"),
                         g(r, "other_cpu_pct"), g(r, "server_peak_rss_mb"), g(r, "calls_per_cycle"), g(r, "errors"),
                         g(r, "failed"), cluster_notes(r), g(r, "runs")))
    for r in hof:
        lines.append("| 2 | hand-off | %s; 50 clients, size %s, LIFECYCLE_PERIOD=%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | "
                     "release -> next wait returns; %s samples%s; runs %s |" % (
                         CONFIGS[r["config"]], r["size"], r.get("period", "?"), g(r, "cycles_s"), g(r, "req_s"), g(r, "handoff_p50_ms"),
                         g(r, "handoff_p99_ms"), g(r, "handoff_max_ms"), g(r, "server_cpu_pct"), us_per_call(r),
                         g(r, "client_cpu_pct"), g(r, "other_cpu_pct"), g(r, "server_peak_rss_mb"), g(r, "samples"),
                         cluster_notes(r), g(r, "runs")))
    for r in fails:
        lines.append("| - | cluster failover | kill -9 of the leader, %s times, node restarted each time | | | %s | %s | %s | | | | | %s | "
                     "kill -> first grant through a surviving node (ms, each: %s); new leader seen %s times; "
                     "restarted node serving again after %s s (median), %s s (max); "
                     "%s probes; background loops %s cycles, %s errors; %s safety violations |" % (
                         g(r, "kills"), g(r, "failover_p50_ms"), g(r, "failover_p99_ms"), g(r, "failover_max_ms"),
                         g(r, "server_peak_rss_mb"), g(r, "failover_each_ms"), g(r, "new_leaders"), g(r, "rejoin_p50_s"),
                         g(r, "rejoin_max_s"), g(r, "probes"), g(r, "background_cycles"), g(r, "background_errors"),
                         g(r, "violations")))
    for r in by("waiters"):
        lines.append("| 3 | many waiters | %s clients in lock.wait, MAX_THREADS=%s | | | | | drain %s s | | | | | %s | "
                     "served %s, not served %s (wait returned false %s, still blocked at the end %s, errors %s), grants withdrawn %s, FIFO inversions %s, "
                     "server threads %s, RSS %s MB while blocked; lock.status answered in %s ms, holder's release in %s ms "
                     "(-1: no answer) |" % (
                         r["clients"], g(r, "max_threads"), g(r, "drain_s"), g(r, "server_peak_rss_mb"),
                         g(r, "served"), g(r, "not_served"), g(r, "timeouts"), g(r, "still_blocked"), g(r, "errors"),
                         g(r, "grant_withdrawn"), g(r, "fifo_inversions"), g(r, "server_threads"),
                         g(r, "rss_mb_blocked"), g(r, "status_ms"), g(r, "holder_release_ms")))
    for r in by("priority"):
        lines.append("| 6 | long queue, priorities %s (in-process, no journal) | %s queued, size %s | | | %s us | %s us | %s us | | | | | | "
                     "hand-off: release -> next waiter's wait completes; lifecycle tick ending %s holders and granting from "
                     "the queue: p50 %s us, p99 %s us, max %s us |" % (
                         r["priorities"], r["queued"], r["size"], r["handoff_p50_us"], r["handoff_p99_us"],
                         r["handoff_max_us"], r["grants_per_tick"], r["tick_p50_us"], r["tick_p99_us"], r["tick_max_us"]))
    for r in by("tick"):
        lines.append("| 4 | lifecycle tick (in-process, listener: %s) | %s tickets, %s locks, tick every %s s | | | %s | %s | %s | | | | | "
                     "%s (harness) | %s expired per tick (median), %s us per expired ticket, tickets use %s MB of heap; "
                     "the tick thread's CPU time median %s ms, max %s ms (wall time above it is time off the core) |" % (
                         r.get("listeners", "none"), r["tickets"], r["locks"], r["period_s"], r["tick_p50_ms"], r["tick_p99_ms"],
                         r["tick_max_ms"], r["rss_mb"], r["expired_per_tick_p50"], r["us_per_expiry"],
                         r["heap_tickets_mb"], r.get("tick_cpu_p50_ms", "?"), r.get("tick_cpu_max_ms", "?")))
    for r in by("python"):
        lines.append("| 5 | Python throughput | %s processes, %s | %s | %s | %s | %s | | %s | %s | %s | %s | %s | cycle latency; %s errors |" % (
            r["procs"], ("lockcli (one keep-alive connection per Lock, %s calls/cycle)" if r["client"] == "lockcli"
                         else "xmlrpc.client keep-alive (%s calls/cycle)") % g(r, "calls_per_cycle"), g(r, "cycles_s"), g(r, "req_s"),
            g(r, "cycle_p50_ms"), g(r, "cycle_p99_ms"), g(r, "server_cpu_pct"), us_per_call(r), g(r, "client_cpu_pct"),
            g(r, "other_cpu_pct"), g(r, "server_peak_rss_mb"), g(r, "errors")))
    for r in by("wrk_query"):
        lines.append("| - | wrk lock.query | 2 threads, 50 connections, keep-alive | | %s | %s | %s | | %s | %s | %s (wrk) | | %s | "
                     "%s faults, %s non-200, socket errors %s |" % (
                         g(r, "req_s"), g(r, "p50_ms"), g(r, "p99_ms"), g(r, "server_cpu_pct"), us_per_call(r),
                         g(r, "wrk_and_other_cpu_pct"), g(r, "server_peak_rss_mb"), g(r, "faults"), g(r, "non200"), g(r, "socket_errors")))
    for r in by("startup"):
        lines.append("| - | start-up | %s: exec to first answered server.ping | | | %s s (median) | | %s s | | | | | | "
                     "min %s s over %s starts (seconds, not ms) |" % (
                         ("config with 10,000 [lock] sections" if r.get("config", "").startswith("10k-locks")
                          else "default config") + (", with the wrapper's class archive"
                                                    if r.get("config", "").endswith("-archive") else ", no class archive"), g(r, "start_s"), g(r, "start_max_s"), g(r, "start_min_s"), g(r, "runs")))
    print("\n".join(lines))

    def result(config, prefix):
        def pick(clients):
            for r in thr:
                if r["config"] == config and r["clients"] == str(clients):
                    return r
            return {}
        c5, c64 = pick(5), pick(64)
        p99s = [num(r.get("handoff_p99_ms")) for r in hof if r["config"] == config]
        p99s = [p for p in p99s if p == p]
        return "%scycles_5=%s %scycles_64=%s %shandoff_p99_ms=%s %sserver_rss_mb=%s" % (
            prefix, c5.get("cycles_s", "nan"), prefix, c64.get("cycles_s", "nan"),
            prefix, ("%.3f" % max(p99s)) if p99s else "nan", prefix, c64.get("server_peak_rss_mb", "nan"))
    # the cluster: every node's peak over every cluster row, and the safety violations of all of them
    crows = [r for r in rows if r.get("config") == "cluster"]   # every run, not the medians
    rss = [num(r.get("server_peak_rss_after_scrape_mb", r.get("server_peak_rss_mb"))) for r in crows]
    rss = [x for x in rss if x == x]
    viol = [num(r.get("violations")) for r in crows]
    f = median_rows(fails, ["config"])[0] if fails else {}
    c = result("cluster", "cluster_").split()
    print("RESULT %s %s %s cluster_failover_p50_ms=%s cluster_failover_p99_ms=%s cluster_node_rss_mb=%s cluster_violations=%s" % (
        result("memory", ""), result("durable", "durable_"), " ".join(c[:3]), f.get("failover_p50_ms", "nan"),
        f.get("failover_p99_ms", "nan"), "%d" % max(rss) if rss else "nan",
        "%d" % sum(v for v in viol if v == v) if crows else "nan"))


if __name__ == "__main__":
    main()
