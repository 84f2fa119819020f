#!/usr/bin/env python3
"""Prints the locker anchor's figures and lockserver's side by side, with the ratio
lockserver / locker (for throughput higher is better, for latency and memory lower is better).
usage: compare.py LOCKER_JSONL LOCKSERVER_ROWS SECONDS"""
import json
import statistics
import sys


def rows(path):
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("ROW "):
                out.append(dict(t.split("=", 1) for t in line.split()[1:] if "=" in t))
    return out


def med(rs, key):
    vals = [float(r[key]) for r in rs if key in r]
    return statistics.median(vals) if vals else float("nan")


def main():
    locker = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
    ours = rows(sys.argv[2])
    secs = float(sys.argv[3])
    L = {(d["scenario"], d["clients"]): d for d in locker}
    thr = lambda c: [r for r in ours if r.get("scenario") == "throughput" and r.get("clients") == str(c)]
    hof = [r for r in ours if r.get("scenario") == "handoff" and r.get("size") == "1" and r.get("period", "1") == "1"]
    lines = []

    def add(what, lv, ov, higher_better=True):
        ratio = ov / lv if lv and lv == lv and ov == ov else float("nan")
        lines.append("| %s | %s | %s | %.2fx%s |" % (what, fmt(lv), fmt(ov), ratio,
                                                   "" if higher_better else " (lower is better)"))

    for c in (5, 64):
        l = L.get(("spread", c), {})
        o = thr(c)
        add("cycles/s, %d clients, 10,000 names" % c, l.get("cycles_per_s", float("nan")), med(o, "cycles_s"))
        add("acquire p50 ms, %d clients" % c, l.get("acquire_p50_ms", float("nan")), med(o, "acq_p50_ms"), False)
        add("acquire p99 ms, %d clients" % c, l.get("acquire_p99_ms", float("nan")), med(o, "acq_p99_ms"), False)
        add("server CPU %%, %d clients" % c, 100 * l.get("server_cpu_s", float("nan")) / secs,
            med(o, "server_cpu_pct"), False)
        add("server peak RSS MB, %d clients" % c, l.get("server_peak_rss_kb", float("nan")) / 1024,
            med(o, "server_peak_rss_mb"), False)
    l = L.get(("contend", 50), {})
    add("cycles/s, 50 clients on one lock", l.get("cycles_per_s", float("nan")), med(hof, "cycles_s"))
    add("hand-off p50 ms, 50 clients", l.get("handoff_p50_ms", float("nan")), med(hof, "handoff_p50_ms"), False)
    add("hand-off p99 ms, 50 clients", l.get("handoff_p99_ms", float("nan")), med(hof, "handoff_p99_ms"), False)
    print("| measure | locker (node.js) | lockserver | lockserver / locker |")
    print("|---|---:|---:|---:|")
    print("\n".join(lines))
    print("(locker's server CPU %% is its CPU seconds over the whole %g-s scenario incl. start; lockserver's is "
          "over the measured window; hand-off: locker measures from its release call to the next grant callback "
          "in one node process, lockserver from just before the release call to the next waiter's wait returning)"
          % secs)


def fmt(x):
    if isinstance(x, str):
        return x
    if x != x:
        return "-"
    return "%d" % round(x) if abs(x) >= 100 else "%.3g" % x


if __name__ == "__main__":
    main()
