#!/usr/bin/env python3
"""Prints lockserver (memory only, packaged: journal fsync=always with Basic auth, and the
three-node cluster) beside the anchors' figures, then the ratios the targets are stated in.
usage: compare.py SECONDS LOCKSERVER_ROWS NAME=ANCHOR_JSONL...   (NAME: locker, redisson, curator)
LOCKSERVER_ROWS are run.sh's ROW lines (median over RUNS); each anchor file has one JSON line per
scenario (spread 5, spread 64, contend 50) as the anchors' run.sh print them."""
import json
import sys

from report import median_rows, num, parse

NAN = float("nan")
ANCHORS = [("locker", "locker (node.js, memory)"), ("redisson", "Redisson (Redis AOF fsync always)"),
           ("curator", "Curator (ZooKeeper fsync)")]
OURS = [("memory", "lockserver memory only"), ("durable", "lockserver packaged (journal fsync + auth)"),
        ("cluster", "lockserver cluster, 3 nodes (Ratis; each packaged)")]

# measure: (label, lockserver scenario and clients, its ROW key, the anchors' JSON key, scale of the anchor's value)
MEASURES = [
    ("cycles/s, 5 clients, 10,000 locks", ("throughput", 5), "cycles_s", "cycles_per_s", 1),
    ("cycles/s, 64 clients, 10,000 locks", ("throughput", 64), "cycles_s", "cycles_per_s", 1),
    ("acquire p99 ms, 5 clients", ("throughput", 5), "acq_p99_ms", "acquire_p99_ms", 1),
    ("acquire p99 ms, 64 clients", ("throughput", 64), "acq_p99_ms", "acquire_p99_ms", 1),
    ("cycles/s, 50 clients on one lock", ("handoff", 50), "cycles_s", "cycles_per_s", 1),
    ("hand-off p50 ms, 50 clients", ("handoff", 50), "handoff_p50_ms", "handoff_p50_ms", 1),
    ("hand-off p99 ms, 50 clients", ("handoff", 50), "handoff_p99_ms", "handoff_p99_ms", 1),
    ("server peak RSS MB, 64 clients (cluster: its largest node)", ("throughput", 64), "server_peak_rss_mb",
     "server_peak_rss_kb", 1 / 1024),
    ("failover p50 ms (kill -9 of the leader -> first grant)", ("failover", 0), "failover_p50_ms", None, 1),
    ("failover p99 ms", ("failover", 0), "failover_p99_ms", None, 1),
]

# (label, numerator, denominator, target): each side is (config or anchor, measure index)
RATIOS = [
    ("packaged / Redisson, cycles/s at 5 clients", ("durable", 0), ("redisson", 0), ">= 2.0x", 2.0),
    ("packaged / Redisson, cycles/s at 64 clients", ("durable", 1), ("redisson", 1), ">= 2.0x", 2.0),
    ("packaged / memory only, cycles/s at 64 clients", ("durable", 1), ("memory", 1), ">= 0.7x", 0.7),
    ("memory only / locker, cycles/s at 5 clients", ("memory", 0), ("locker", 0), "(about 0.6x before)", None),
    ("memory only / locker, cycles/s at 64 clients", ("memory", 1), ("locker", 1), "(about 0.6x before)", None),
    ("cluster / Curator, cycles/s at 5 clients", ("cluster", 0), ("curator", 0), ">= 3.0x", 3.0),
    ("cluster / Curator, cycles/s at 64 clients", ("cluster", 1), ("curator", 1), ">= 3.0x", 3.0),
]


def ours(rows):
    """(config, scenario, clients) -> the ROW fields, median over runs."""
    picked = [r for r in rows if r.get("scenario") == "throughput" or
              (r.get("scenario") == "handoff" and r.get("size") == "1" and r.get("period", "1") == "1")]
    for r in picked:
        r.setdefault("config", "memory")
    for r in rows:
        if r.get("scenario") == "failover":
            r["clients"] = "0"
            picked.append(r)
    return {(r["config"], r["scenario"], int(r["clients"])): r
            for r in median_rows(picked, ["config", "scenario", "clients"])}


def anchor(path):
    """(scenario, clients) -> the JSON fields; spread is our throughput, contend our hand-off."""
    scenario = {"spread": "throughput", "contend": "handoff"}
    out = {}
    with open(path) as f:
        for line in f:
            if line.startswith("{"):
                d = json.loads(line)
                out[(scenario[d["scenario"]], int(d["clients"]))] = d
    return out


def main():
    secs = sys.argv[1]
    mine = ours(parse(sys.argv[2]))
    theirs = {}
    for arg in sys.argv[3:]:
        name, path = arg.split("=", 1)
        theirs[name] = anchor(path)
    columns = [(c, label) for c, label in OURS] + [(a, label) for a, label in ANCHORS if a in theirs]

    def value(who, m):
        _, where, key, anchor_key, scale = MEASURES[m]
        if who in theirs:
            return num(theirs[who].get(where, {}).get(anchor_key)) * scale if anchor_key else NAN
        return num(mine.get((who,) + where, {}).get(key))

    print("| measure | %s |" % " | ".join(label for _, label in columns))
    print("|---|%s" % ("---:|" * len(columns)))
    for m, (label, *_) in enumerate(MEASURES):
        print("| %s | %s |" % (label, " | ".join(fmt(value(who, m)) for who, _ in columns)))
    print()
    print("| ratio | value | target | met |")
    print("|---|---:|---|---|")
    for label, (a, ma), (b, mb), target, least in RATIOS:
        top, bottom = value(a, ma), value(b, mb)
        ratio = top / bottom if bottom and bottom == bottom and top == top else NAN
        met = "-" if least is None or ratio != ratio else ("yes" if ratio >= least else "no")
        print("| %s | %s | %s | %s |" % (label, "-" if ratio != ratio else "%.2fx" % ratio, target, met))
    if any(k[0] == "cluster" for k in mine):
        rows = parse(sys.argv[2])
        cluster = [r for r in rows if r.get("config") == "cluster"]
        rss = [num(r.get("server_peak_rss_after_scrape_mb", r.get("server_peak_rss_mb"))) for r in cluster]
        rss = max((x for x in rss if x == x), default=NAN)
        violations = sum(num(r.get("violations")) for r in cluster if num(r.get("violations")) == num(r.get("violations")))
        p99 = value("cluster", 9)
        print()
        print("| cluster target | value | target | met |")
        print("|---|---:|---|---|")
        print("| failover p99 (kill -9 of the leader -> first grant by the new one) | %s ms | <= 2000 ms | %s |" % (
            fmt(p99), "-" if p99 != p99 else ("yes" if p99 <= 2000 else "no")))
        print("| largest peak RSS of a node, any cluster row | %s MB | <= 256 MB | %s |" % (
            fmt(rss), "-" if rss != rss else ("yes" if rss <= 256 else "no")))
        print("| safety violations (double grants, fencing tokens out of order) | %d | 0 | %s |" % (
            violations, "yes" if violations == 0 else "no"))
    print()
    print("Each measured window %s s. Hand-off: from just before a holder's release call to the next holder's "
          "acquire returning (locker: its grant callback), all clients in one process. Redisson is not FIFO: its "
          "hand-offs include the releaser taking the permit back. RSS: the server process only (node, redis-server, "
          "ZooKeeper's JVM)." % secs)


def fmt(x):
    if x != x:
        return "-"
    return "%d" % round(x) if abs(x) >= 100 else "%.3g" % x


if __name__ == "__main__":
    main()
