#!/usr/bin/env python3
"""Re-makes the 0.1.0 journal fixture (see README.md in this folder).

Runs the server jar given (built from the 0.1.0 code) on a fresh DATA_DIR with
lockserver.conf, drives it over XML-RPC until the journal has saved a snapshot, leaves a
known state after it, kills the server with SIGKILL right after its last answer, and
copies the snapshot and the journal file into data/, with the state in expected.txt.

    python3 make-fixture.py [path/to/lockserver.jar]   (default: target/lockserver.jar)
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
WAIT = 5  # seconds a lock.wait or lock.acquire may block; every grant here is immediate


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(jar, work):
    port = free_port()
    data = os.path.join(work, "data")
    with open(os.path.join(HERE, "lockserver.conf"), encoding="utf-8") as f:
        conf = f.read()
    conf = conf.replace("PORT=9090", "PORT=%d\nLOG_FILE=%s\nDATA_DIR=%s"
                        % (port, os.path.join(work, "lockserver.log"), data), 1)
    conf_file = os.path.join(work, "lockserver.conf")
    with open(conf_file, "w", encoding="utf-8") as f:
        f.write(conf)
    server = subprocess.Popen(["java", "-jar", jar, "--config", conf_file])
    rpc = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/RPC2" % port)
    deadline = time.monotonic() + 60
    while True:
        try:
            rpc.server.ping()
            return server, rpc, data
        except (OSError, xmlrpc.client.ProtocolError):
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                sys.exit("the server did not start; see %s" % os.path.join(work, "lockserver.log"))
            time.sleep(0.2)


def granted(result):
    assert result["state"] == "granted", result
    return result["ticket"], int(result["token"])


def main():
    jar = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "..", "target", "lockserver.jar")
    work = tempfile.mkdtemp(prefix="journal-fixture-")
    server, rpc, data = start(os.path.abspath(jar), work)
    try:
        infos = {}

        def query(lock, info):
            t = rpc.lock.query(lock, info)
            infos[t] = info
            return t

        def acquire(lock, info):
            t, token = granted(rpc.lock.acquire(lock, info, WAIT))
            infos[t] = info
            return t, token

        # before the snapshot: these reach the restart through the snapshot file
        a, token_a = acquire("DefaultLock", "holder A: claimed before the snapshot, released after it")
        b = query("DefaultLock", "holder B: granted before the snapshot, never claimed")
        q1 = query("DefaultLock", "ticket 1: queued before the snapshot, granted and claimed after it")
        q2 = query("DefaultLock", "ticket 2: queued before the snapshot")
        cancelled_before = query("DefaultLock", "cancelled before the snapshot")
        assert rpc.lock.release(cancelled_before)
        assert rpc.lock.create("made-remotely", 3)
        r1, token_r1 = acquire("made-remotely", "remote holder 1: claimed before the snapshot")

        # Q, G, C and X records until the writer saves a snapshot (every 100,000 records)
        cycles = 0
        while not os.path.exists(os.path.join(data, "snapshot")):
            t, churn_token = acquire("churn", "cycle %d" % cycles)
            assert rpc.lock.release(t)
            cycles += 1
            if cycles % 5000 == 0:
                print("%d cycles" % cycles, flush=True)
        journals = [f for f in os.listdir(data) if f.startswith("journal.")]
        assert journals != ["journal.0"] and len(journals) == 1, journals
        print("snapshot after %d cycles; now %s" % (cycles, journals[0]), flush=True)

        # after the snapshot: these reach the restart through the journal file
        assert rpc.lock.release(a)                              # its slot goes to ticket 1 ...
        assert rpc.lock.wait(q1, WAIT)                          # ... which claims it
        token_q1 = int(rpc.lock.check(q1)["token"])
        q3 = query("DefaultLock", "ticket 3: queued after the snapshot, n\u0153ud-3 \u2713 \U0001F512")
        cancelled_after = query("DefaultLock", "cancelled after the snapshot")
        assert rpc.lock.release(cancelled_after)
        q4 = query("DefaultLock", "ticket 4: queued after the snapshot")
        r2 = query("made-remotely", "remote holder 2: granted after the snapshot, never claimed")
        last_churn, churn_token = acquire("churn", "the last cycle, after the snapshot")
        assert rpc.lock.release(last_churn)

        # admin.status claims nothing (lock.check would claim holder B's grant)
        status = {s["name"]: s for s in rpc.admin.status()}
    finally:
        server.kill()  # SIGKILL right after the last answer: a crash, not a clean stop
        server.wait()

    def holders(lock):
        return [(h["ticket"], int(h["token"]), h["claimed"], h["info"]) for h in status[lock]["holders"]]

    def queue(lock):
        return [(q["ticket"], q["position"], q["info"]) for q in status[lock]["queue"]]

    token_b = int(rpc_token(status, "DefaultLock", b))
    token_r2 = int(rpc_token(status, "made-remotely", r2))
    assert holders("DefaultLock") == [(b, token_b, False, infos[b]), (q1, token_q1, True, infos[q1])]
    assert queue("DefaultLock") == [(q2, 1, infos[q2]), (q3, 2, infos[q3]), (q4, 3, infos[q4])]
    assert holders("made-remotely") == [(r1, token_r1, True, infos[r1]), (r2, token_r2, False, infos[r2])]
    assert queue("made-remotely") == [] and holders("churn") == [] and queue("churn") == []

    fixture = os.path.join(HERE, "data")
    shutil.rmtree(fixture, ignore_errors=True)
    os.makedirs(fixture)
    for f in ["snapshot"] + journals:
        shutil.copyfile(os.path.join(data, f), os.path.join(fixture, f))
    with open(os.path.join(HERE, "expected.txt"), "w", encoding="utf-8") as out:
        out.write("# What a restart on data/ must bring back; written by make-fixture.py (see README.md).\n"
                  "# lock NAME size=N last_token=T        every grant after the restart gets a token > T\n"
                  "# holder LOCK TICKET token=N claimed=true|false info=...   oldest grant first\n"
                  "# queued LOCK TICKET position=N info=...                   in queue order\n"
                  "# gone TICKET info=...                                     released: must not come back\n")
        lasts = {"DefaultLock": max(token_a, token_b, token_q1), "made-remotely": max(token_r1, token_r2),
                 "churn": churn_token}
        for lock in ("DefaultLock", "made-remotely", "churn"):
            out.write("lock %s size=%d last_token=%d\n" % (lock, status[lock]["size"], lasts[lock]))
            for t, token, claimed, info in holders(lock):
                out.write("holder %s %s token=%d claimed=%s info=%s\n" % (lock, t, token, str(claimed).lower(), info))
            for t, position, info in queue(lock):
                out.write("queued %s %s position=%d info=%s\n" % (lock, t, position, info))
        for t in (a, cancelled_before, cancelled_after, last_churn):
            out.write("gone %s info=%s\n" % (t, infos[t]))
    shutil.rmtree(work)
    print("wrote %s and expected.txt" % ", ".join("data/" + f for f in ["snapshot"] + journals))


def rpc_token(status, lock, ticket):
    return next(h["token"] for h in status[lock]["holders"] if h["ticket"] == ticket)


if __name__ == "__main__":
    main()
