#!/usr/bin/env python3
"""Turns wrk's output (with bench/query.lua) into one ROW line for bench/report.py.
usage: wrk_row.py WRK_OUTPUT SECONDS SERVER_TICKS_BEFORE SERVER_TICKS_AFTER SERVER_PEAK_RSS_MB
                  MACHINE_TICKS_BEFORE MACHINE_TICKS_AFTER"""
import re
import sys

text = open(sys.argv[1]).read()
secs = float(sys.argv[2])
cpu = (float(sys.argv[4]) - float(sys.argv[3])) / 100.0
rss = sys.argv[5]
machine = (float(sys.argv[7]) - float(sys.argv[6])) / 100.0


def ms(value):
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
total = re.search(r"(\d+) requests in", text)
p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
errs = re.search(r"Socket errors: (.*)", text)
lua = re.search(r"LUA faults=(\d+) bad_status=(\d+)", text)
if not rps:
    sys.stdout.write("# wrk failed: %s\n" % " ".join(text.split())[:300])
    sys.exit(0)
print("ROW scenario=wrk_query req_s=%d requests=%s p50_ms=%.3f p99_ms=%.3f faults=%s non200=%s "
      "socket_errors=%s server_cpu_pct=%d wrk_and_other_cpu_pct=%d server_peak_rss_mb=%s" % (
          round(float(rps.group(1))), total.group(1) if total else "?",
          ms(p50.group(1)) if p50 else float("nan"), ms(p99.group(1)) if p99 else float("nan"),
          lua.group(1) if lua else "?", lua.group(2) if lua else "?",
          errs.group(1).strip().replace(" ", ":").replace(",:", ",") if errs else "none",
          round(100 * cpu / secs), max(0, round(100 * (machine - cpu) / secs)), rss))
