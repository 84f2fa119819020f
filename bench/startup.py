#!/usr/bin/env python3
"""Start-up time of the server: from the exec of its command to the first answered
server.ping on 127.0.0.1:PORT, over several starts (each stopped with SIGTERM).
usage: startup.py --port PORT [--runs 3] -- COMMAND... ; prints one ROW line."""
import argparse
import http.client
import signal
import statistics
import subprocess
import sys
import time

PING = (b'<?xml version="1.0"?><methodCall><methodName>server.ping</methodName>'
        b'<params/></methodCall>')


def answered(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("POST", "/RPC2", PING, {"Content-Type": "text/xml"})
        ok = c.getresponse().read().find(b"<boolean>1</boolean>") >= 0
        c.close()
        return ok
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--label", default="default-config")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command and a.command[0] == "--" else a.command
    times = []
    for _ in range(a.runs):
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while time.monotonic() - t0 < 20 and proc.poll() is None:
                if answered(a.port):
                    times.append(time.monotonic() - t0)
                    break
                time.sleep(0.002)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        time.sleep(0.3)
    if not times:
        print("# start-up: the server never answered")
        return 1
    print("ROW scenario=startup config=%s runs=%d start_s=%.3f start_min_s=%.3f start_max_s=%.3f" % (
        a.label, len(times), statistics.median(times), min(times), max(times)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
