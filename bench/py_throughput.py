#!/usr/bin/env python3
"""Scenario 5 of bench/run.sh: the throughput scenario from several Python processes.

Each process loops: acquire a random lock of k0..k(NAMES-1), release it. Two clients:
  --client lockcli    src/main/python/lockcli.py as a user would call it: Lock.query, Lock.wait
                      (which also calls lock.check for the fencing token), Lock.release;
                      each Lock keeps one keep-alive HTTP connection (4 calls a cycle)
  --client keepalive  raw xmlrpc.client.ServerProxy, one per process, which keeps its HTTP/1.1
                      connection alive: lock.query, lock.wait, lock.release (3 calls a cycle)
  --client json       the same 3 calls as JSON at /v1/<method> (http.client, one kept-alive
                      connection per process): the same door as keepalive, the other codec
Prints one ROW line: cycles/s and requests/s over the measured window, the server's CPU and
RSS (from /proc/PID) and the CPU the Python processes used.
"""
import argparse
import multiprocessing as mp
import os
import random
import sys
import time


def server_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def server_calls(url):
    """Sum of lockserver_requests_total from the server's /metrics, or None."""
    import urllib.parse
    import urllib.request
    try:
        u = urllib.parse.urlsplit(url)
        with urllib.request.urlopen("%s://%s/metrics" % (u.scheme, u.netloc), timeout=10) as r:
            text = r.read().decode()
    except OSError:
        return None
    total = sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
                if l.startswith("lockserver_requests_total{"))
    return total or None


def machine_ticks():
    """Busy ticks of the whole machine (user nice system irq softirq steal) from /proc/stat."""
    with open("/proc/stat") as f:
        v = f.readline().split()
    return sum(int(v[i]) for i in (1, 2, 3, 6, 7, 8))


def proc_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
    return -1


def worker(args, t_start, t_end, out):
    rnd = random.Random(os.getpid())
    cycles = calls = errors = failed = attempts = 0
    lat = []
    cpu0 = cpu1 = None
    if args.client == "lockcli":
        sys.path.insert(0, args.lockcli)
        import lockcli

        def cycle(name):
            lock = lockcli.Lock(args.url, name)
            lock.query("bench py")
            lock.wait(10)           # wait + check (token)
            lock.release()
            return 4
        error_types = (lockcli.LockError,)
    elif args.client == "json":
        import http.client
        import json
        import urllib.parse
        u = urllib.parse.urlsplit(args.url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        headers = {"Content-Type": "application/json"}

        def call(method, *params):
            conn.request("POST", "/v1/" + method, json.dumps(params), headers)
            answer = json.loads(conn.getresponse().read())
            if isinstance(answer, dict) and "fault" in answer:
                raise OSError("fault %(code)s: %(message)s" % answer["fault"])
            return answer

        def cycle(name):
            ticket = call("lock.query", name, "bench py")
            ok = call("lock.wait", ticket, 10)
            call("lock.release", ticket)
            if not ok:
                raise TimeoutError(name)
            return 3
        error_types = (OSError, http.client.HTTPException, ValueError)
    else:
        import xmlrpc.client
        proxy = xmlrpc.client.ServerProxy(args.url)

        def cycle(name):
            ticket = proxy.lock.query(name, "bench py")
            ok = proxy.lock.wait(ticket, 10)
            proxy.lock.release(ticket)
            if not ok:
                raise TimeoutError(name)
            return 3
        error_types = (OSError, xmlrpc.client.Error)
    while True:
        now = time.monotonic()
        if now >= t_end:
            break
        measuring = now >= t_start
        if measuring and cpu0 is None:
            cpu0 = time.process_time()
        name = "k%d" % rnd.randrange(args.names)
        attempts += 1
        try:
            n = cycle(name)
            t1 = time.monotonic()
            if measuring and t1 < t_end:
                cycles += 1
                calls += n
                lat.append(t1 - now)
        except TimeoutError:
            failed += 1
        except error_types:
            errors += 1
            time.sleep(0.001)
    cpu1 = time.process_time()
    out.put((cycles, calls, errors, failed, (cpu1 - (cpu0 or cpu1)), lat, attempts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--names", type=int, default=10000)
    ap.add_argument("--client", choices=("lockcli", "keepalive", "json"), default="keepalive")
    ap.add_argument("--lockcli", default=os.path.join(os.path.dirname(__file__), "..", "src", "main", "python"))
    args = ap.parse_args()

    ctx = mp.get_context("fork")
    out = ctx.Queue()
    t0 = time.monotonic() + 0.3
    t_start, t_end = t0 + args.warmup, t0 + args.warmup + args.seconds
    procs = [ctx.Process(target=worker, args=(args, t_start, t_end, out), daemon=True)
             for _ in range(args.procs)]
    for p in procs:
        p.start()
    while time.monotonic() < t_start:
        time.sleep(0.01)
    s0, m0 = server_ticks(args.pid), machine_ticks()
    while time.monotonic() < t_end:
        time.sleep(0.01)
    s1, m1 = server_ticks(args.pid), machine_ticks()
    results = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(5)
    cycles = sum(r[0] for r in results)
    calls = sum(r[1] for r in results)
    errors = sum(r[2] for r in results)
    failed = sum(r[3] for r in results)
    cpu = sum(r[4] for r in results)
    attempts = sum(r[6] for r in results)
    total_calls = server_calls(args.url)
    # calls per cycle as the server counted them over the whole run (lockcli may change its calls)
    per_cycle = total_calls / attempts if total_calls and attempts else calls / max(1, cycles)
    lat = sorted(x for r in results for x in r[5])

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
    secs = args.seconds
    print("ROW scenario=python client=%s procs=%d seconds=%.1f cycles=%d cycles_s=%d req_s=%d calls_per_cycle=%.2f "
          "failed=%d errors=%d cycle_p50_ms=%.3f cycle_p99_ms=%.3f server_cpu_pct=%d client_cpu_pct=%d "
          "other_cpu_pct=%d server_peak_rss_mb=%d" % (
              args.client, args.procs, secs, cycles, round(cycles / secs), round(per_cycle * cycles / secs),
              per_cycle,
              failed, errors, pct(0.5), pct(0.99), round((s1 - s0) / secs), round(100 * cpu / secs),
              max(0, round((m1 - m0 - (s1 - s0)) / secs - 100 * cpu / secs)), proc_kb(args.pid, "VmHWM:") // 1024))


if __name__ == "__main__":
    main()
