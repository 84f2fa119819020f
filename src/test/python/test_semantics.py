"""The wire API of slots, priorities, watch, revocation and remote shutdown, spoken with
plain xmlrpc.client (no lockcli) against a running lockserver: each option and method,
and each bad value a clear fault with the server serving on and nothing left behind.

Run:  LOCKSERVER_URL=http://127.0.0.1:PORT/RPC2 python3 -m unittest test_semantics -v
(ALLOW_REMOTE_CREATE=true, ALLOW_REMOTE_SHUTDOWN off, a short LIFECYCLE_PERIOD, no users).
"""

import threading
import time
import unittest
import xmlrpc.client

from test_lockcli import URL, new_lock, rpc, wait_until

BAD_ARGUMENT = 3
NOT_ALLOWED = 6


def setUpModule():
    if not URL:
        raise RuntimeError("LOCKSERVER_URL is not set: these tests need a running lockserver")


def query(lock, options=None, info="test"):
    return rpc().lock.query(lock, info, options) if options is not None else rpc().lock.query(lock, info)


def check(ticket):
    return rpc().lock.check(ticket)


class Options(unittest.TestCase):
    def test_permits_take_several_slots_and_status_counts_them(self):
        lock = new_lock(3, "permits")
        t = query(lock, {"permits": 2})
        self.assertEqual(("granted", 2, False), (check(t)["state"], check(t)["permits"], check(t)["exclusive"]))
        s = rpc().lock.status(lock)
        self.assertEqual((1, 2, 0), (s["granted"], s["used"], s["queued"]))

    def test_the_head_waits_for_enough_slots_and_nobody_overtakes_it(self):
        lock = new_lock(3, "fifo")
        holder = query(lock, {"permits": 2})
        big = query(lock, {"permits": 2})
        small = query(lock)  # one slot is free, but the head needs two
        self.assertEqual(("queued", 1), (check(big)["state"], check(big)["position"]))
        self.assertEqual(("queued", 2), (check(small)["state"], check(small)["position"]))
        self.assertTrue(rpc().lock.release(holder))
        self.assertEqual("granted", check(big)["state"])
        self.assertEqual("granted", check(small)["state"])

    def test_exclusive_takes_every_slot(self):
        lock = new_lock(3, "excl")
        reader = query(lock)
        writer = query(lock, {"exclusive": True})
        later_reader = query(lock)
        self.assertEqual(("queued", 3, True), (check(writer)["state"], check(writer)["permits"],
                                               check(writer)["exclusive"]))
        self.assertEqual("queued", check(later_reader)["state"], "a reader behind a waiting writer waits")
        rpc().lock.release(reader)
        self.assertEqual("granted", check(writer)["state"])
        self.assertEqual(3, rpc().lock.status(lock)["used"])
        rpc().lock.release(writer)
        self.assertEqual("granted", check(later_reader)["state"])

    def test_higher_priority_is_granted_first(self):
        lock = new_lock(1, "prio")
        holder = query(lock)
        low = query(lock, {"priority": 0})
        high = query(lock, {"priority": 5})
        self.assertEqual((1, 5), (check(high)["position"], check(high)["priority"]))
        self.assertEqual(2, check(low)["position"])
        rpc().lock.release(holder)
        self.assertEqual("granted", check(high)["state"])
        self.assertEqual("queued", check(low)["state"])

    def test_acquire_takes_the_options_too(self):
        lock = new_lock(4, "acq")
        answer = rpc().lock.acquire(lock, "acq", 5, {"permits": 3, "priority": 2})
        self.assertEqual("granted", answer["state"])
        self.assertEqual(3, rpc().lock.status(lock)["used"])

    def test_bad_options_are_fault_3_naming_the_member_and_leave_nothing_behind(self):
        lock = new_lock(3, "bad")
        cases = [
            ({"permits": 0}, "permits"),
            ({"permits": 4}, "permits"),
            ({"permits": -1}, "permits"),
            ({"priority": 10}, "priority"),
            ({"priority": -1}, "priority"),
            ({"prio": 1}, "prio"),
            ({"permits": "2"}, "permits"),
            ({"permits": 1.5}, "permits"),
            ({"exclusive": 1}, "exclusive"),
            ({"exclusive": "yes"}, "exclusive"),
            ({"priority": True}, "priority"),
            ({"permits": 2, "exclusive": True}, "exclusive"),
        ]
        for options, member in cases:
            for call in (lambda: rpc().lock.query(lock, "bad", options),
                         lambda: rpc().lock.acquire(lock, "bad", 0, options)):
                with self.assertRaises(xmlrpc.client.Fault, msg=repr(options)) as caught:
                    call()
                self.assertEqual(BAD_ARGUMENT, caught.exception.faultCode, caught.exception.faultString)
                self.assertIn(member, caught.exception.faultString)
                self.assertNotIn("Exception", caught.exception.faultString)
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            rpc().lock.query(lock, "bad", [1, 2])
        self.assertEqual(BAD_ARGUMENT, caught.exception.faultCode)
        self.assertTrue(rpc().server.ping())
        s = rpc().lock.status(lock)
        self.assertEqual((0, 0, 0), (s["granted"], s["queued"], s["used"]), "no ticket was left behind")


class Watch(unittest.TestCase):
    def test_empty_since_answers_at_once_with_the_current_state(self):
        lock = new_lock(2, "w0")
        query(lock)
        s = rpc().lock.watch(lock, "", 20)
        self.assertEqual((lock, 2, 1, 0, 1, 0), (s["name"], s["size"], s["granted"], s["queued"], s["used"],
                                                  s["delayed"]))
        self.assertIsInstance(s["version"], str)
        self.assertEqual(s["version"], rpc().lock.status(lock)["version"])

    def test_without_a_change_it_answers_after_the_timeout_with_the_same_version(self):
        lock = new_lock(2, "w1")
        v = rpc().lock.status(lock)["version"]
        self.assertEqual(v, rpc().lock.watch(lock, v, 0.3)["version"])

    def test_a_change_answers_a_blocked_watch(self):
        lock = new_lock(2, "w2")
        v = rpc().lock.status(lock)["version"]
        seen = []
        watcher = threading.Thread(target=lambda: seen.append(rpc(timeout=60).lock.watch(lock, v, 25)))
        watcher.start()
        time.sleep(0.3)  # lets the watch arrive first (were the change first, the watch would answer at once too)
        started = time.monotonic()
        query(lock)
        watcher.join(20)
        self.assertFalse(watcher.is_alive(), "the watch did not answer the change within 20 s (its timeout: 25 s)")
        self.assertLess(time.monotonic() - started, 20)
        self.assertNotEqual(v, seen[0]["version"])
        self.assertEqual(1, seen[0]["granted"])

    def test_a_version_of_an_earlier_run_answers_at_once(self):
        lock = new_lock(1, "w3")
        s = rpc().lock.watch(lock, "0-1", 20)
        self.assertEqual(rpc().lock.status(lock)["version"], s["version"])

    def test_bad_since_and_unknown_lock_are_clear_faults(self):
        lock = new_lock(1, "w4")
        for since in ("garbage", "-", "x-", "x-1a", "x-" + "9" * 30):
            with self.assertRaises(xmlrpc.client.Fault, msg=since) as caught:
                rpc().lock.watch(lock, since, 1)
            self.assertEqual(BAD_ARGUMENT, caught.exception.faultCode)
            self.assertIn("since", caught.exception.faultString)
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            rpc().lock.watch(lock, "", -1)
        self.assertEqual(BAD_ARGUMENT, caught.exception.faultCode)
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            rpc().lock.watch("no-such-lock-here", "", 1)
        self.assertEqual(1, caught.exception.faultCode)


class Revoke(unittest.TestCase):
    def test_check_shows_the_reason_and_the_time_left(self):
        lock = new_lock(1, "r0")
        t = query(lock)
        self.assertEqual(("", 0.0), (check(t)["revoke"], check(t)["revoke_in"]))
        self.assertTrue(rpc().admin.revoke(t, "maintenance at 02:00", 600))
        c = check(t)
        self.assertEqual("maintenance at 02:00", c["revoke"])
        self.assertTrue(0 < c["revoke_in"] <= 600, c)
        holder = [h for l in rpc().admin.status() if l["name"] == lock for h in l["holders"]][0]
        self.assertEqual("maintenance at 02:00", holder["revoke"])

    def test_after_the_time_given_the_ticket_is_force_released_and_the_next_is_granted(self):
        lock = new_lock(1, "r1")
        holder = query(lock)
        waiter = query(lock)
        self.assertTrue(rpc().admin.revoke(holder, "go", 0))
        wait_until(lambda: check(holder)["state"] == "gone", what="the revoked holder to be ended")
        self.assertEqual("granted", check(waiter)["state"])

    def test_a_release_before_the_deadline_is_a_normal_release(self):
        lock = new_lock(1, "r2")
        t = query(lock)
        rpc().admin.revoke(t, "please", 600)
        self.assertTrue(rpc().lock.release(t))
        self.assertEqual(0, rpc().lock.status(lock)["used"])

    def test_bad_values_are_clear_faults_and_a_gone_ticket_is_false(self):
        lock = new_lock(1, "r3")
        t = query(lock)
        for args, code in (((t, "", 5), BAD_ARGUMENT), ((t, "x" * 1025, 5), BAD_ARGUMENT),
                           ((t, "why", -1), BAD_ARGUMENT), ((t, "why", "5"), BAD_ARGUMENT),
                           (("not-a-ticket", "why", 5), 2), ((t, "why"), BAD_ARGUMENT)):
            with self.assertRaises(xmlrpc.client.Fault, msg=repr(args)) as caught:
                rpc().admin.revoke(*args)
            self.assertEqual(code, caught.exception.faultCode, caught.exception.faultString)
        self.assertEqual("", check(t)["revoke"], "a refused revoke changed nothing")
        self.assertFalse(rpc().admin.revoke("0" * 32, "why", 5))


class Shutdown(unittest.TestCase):
    def test_without_allow_remote_shutdown_it_is_fault_6_and_the_server_serves_on(self):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            rpc().admin.shutdown()
        self.assertEqual(NOT_ALLOWED, caught.exception.faultCode)
        self.assertIn("ALLOW_REMOTE_SHUTDOWN", caught.exception.faultString)
        self.assertTrue(rpc().server.ping())


if __name__ == "__main__":
    unittest.main()
