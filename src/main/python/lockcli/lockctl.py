"""The lockctl command: operator's view and control of a lockserver (see lockctl --help).

Talks to the server's admin.* methods (docs/API.md): admin.status, admin.release,
admin.revoke, admin.reload, admin.shutdown, admin.cluster and admin.peers, plus
server.ping, and lock.list and lock.watch for ``status --watch``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from typing import Optional, Sequence, TextIO

from .cli import (EX_FAIL, EX_OK, EX_SOFTWARE, EX_UNAVAILABLE, EX_USAGE, ArgumentParser, UsageError,
                  checked, positive_seconds, say, seconds, setting, whole)
from .faults import Fault, LockError, LockFault, LockHttpError
from .failover import Endpoints
from .lock import wire_seconds
from .transport import DEFAULT_HTTP_TIMEOUT, __version__, tls_context
from .watch import WATCH_WAIT, follow

DEFAULT_URL = "http://127.0.0.1:9090/RPC2"

_TICKET = re.compile(r"[0-9a-fA-F]{32}\Z")
# C0/C1 control characters and DEL: never written raw to the operator's terminal
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# where fault 6 has a reason besides credentials ("not a cluster node", "ALLOW_REMOTE_SHUTDOWN
# is not set"; the server's message says which): no hint at credentials there
_NOT_ONLY_CREDENTIALS = ("admin.cluster", "admin.peers", "admin.shutdown")
# methods of issue 16: a server before them answers fault 4
_NEWER_METHODS = ("admin.revoke", "admin.shutdown", "lock.watch")
#: at most so many locks are watched at once (a thread and a connection each)
MAX_WATCHED = 64


class Failure(Exception):
    """Ends lockctl with one line on stderr and the given exit status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Server:
    """The server lockctl talks to; ``call`` turns every trouble into a Failure."""

    def __init__(self, servers, timeout):
        self.servers = servers
        self.safe_url = servers.safe_url
        self.timeout = timeout

    def call(self, method, *args, wait=0):
        """The answer of ``method``; ``wait``: seconds the call may block on the server
        (lock.watch), on top of the socket timeout."""
        try:
            return self.servers.call(method, args, self.timeout + wait)
        except LockFault as e:
            hint = ""
            if e.code == Fault.UNKNOWN_METHOD and method in _NEWER_METHODS:
                hint = " (this server is older than %s)" % method
            elif e.code == Fault.UNKNOWN_METHOD and method.startswith("admin."):
                hint = " (this server has no admin methods: too old?)"
            elif method.startswith("admin.") and self.servers.username is None and (
                    e.code == Fault.UNAUTHENTICATED
                    or (e.code == Fault.NOT_ALLOWED and method not in _NOT_ONLY_CREDENTIALS)):
                hint = " (admin calls need an admin user: http://USER:PASSWORD@host:port/RPC2)"
            raise Failure(EX_FAIL, "%s refused: fault %s (%s): %s%s" % (
                method, e.code, e.name, one_line(e.fault_string), hint))
        except LockHttpError as e:
            if e.status in (401, 403):
                # the server answered: it refuses these credentials (or their absence)
                raise Failure(EX_FAIL, "%s (check the user:password in the URL)" % one_line(e))
            raise Failure(EX_UNAVAILABLE, one_line(e))
        except LockError as e:
            raise Failure(EX_UNAVAILABLE, one_line(e))

    def call_every(self, method):
        """``method`` (no arguments) called on every server at once, not failing over: per URL
        in order, (its safe URL, the answer or the LockError). Takes one call timeout at most."""
        transports = self.servers.transports
        answers = [None] * len(transports)

        def ask(i):
            try:
                answers[i] = transports[i].call(method, (), self.timeout)
            except LockError as e:
                answers[i] = e
            except Exception as e:      # as LockError: one node's trouble is that node's line
                answers[i] = LockError("call %s to lockserver at %s failed: %s: %s" % (
                    method, transports[i].safe_url, type(e).__name__, e))

        threads = [threading.Thread(target=ask, args=(i,), daemon=True) for i in range(len(transports))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return [(t.safe_url, a) for t, a in zip(transports, answers)]


# ---------------------------------------------------------------------------
# formatting

def one_line(text):
    """``text`` made safe for one line of a terminal: control characters escaped."""
    return _CONTROL.sub(lambda m: "\\x%02x" % ord(m.group()), str(text))


def fmt_duration(seconds):
    """12.34 -> '12.3s', 302 -> '5m02s', 7384 -> '2h03m', 200000 -> '2d07h'."""
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return "?"
    if s != s:      # NaN
        return "?"
    if s < 0:
        s = 0.0
    if s < 60:
        text = "%.1f" % s
        return (text[:-2] if text.endswith(".0") else text) + "s"
    s = int(s)
    if s < 3600:
        return "%dm%02ds" % (s // 60, s % 60)
    if s < 86400:
        return "%dh%02dm" % (s // 3600, s % 3600 // 60)
    return "%dd%02dh" % (s // 86400, s % 86400 // 3600)


def table(header, rows, indent="    "):
    """Left-aligned columns under a header; the last column is not padded."""
    return columns([header] + rows, indent)


def columns(rows, indent=""):
    """The rows (lists of as many cells) as lines of left-aligned columns; the last column
    is not padded."""
    rows = [[one_line(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)] if rows else []
    lines = []
    for row in rows:
        cells = [c.ljust(w) for c, w in zip(row, widths)] + [row[-1]]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def lock_line(lock):
    """``NAME: size S, G granted, Q queued``, then ``, U used`` and ``, D delayed`` when the
    server tells them (slots taken by granted tickets, slots closed by LOCK_DELAY)."""
    g = lock.get
    line = "%s: size %s, %s granted, %s queued" % (
        one_line(g("name", "?")), g("size", "?"), g("granted", "?"), g("queued", "?"))
    for key in ("used", "delayed"):
        if key in lock:
            line += ", %s %s" % (one_line(lock[key]), key)
    return line


def format_lock(lock):
    lines = [lock_line(lock) + (" (retired: takes no queries, goes once drained)" if lock.get("retired") else "")]
    g = lock.get
    settings = []
    for key, label in (("grace_time", "grace"), ("expiration_time", "expiration"),
                       ("max_lock_time", "max lock time")):
        if key in lock:
            settings.append("%s %s" % (label, fmt_duration(lock[key])))
    if settings:
        lines.append("  " + ", ".join(settings))
    holders = g("holders") or []
    if holders:
        lines.append("  holders:")
        lines.extend(table(
            ["TICKET", "TOKEN", "HELD", "IDLE", "LEFT", "INFO"],
            [[h.get("ticket", "?"), str(h.get("token", "")),
              fmt_duration(h.get("held")) + ("" if h.get("claimed", True) else " (unclaimed)"),
              fmt_duration(h.get("idle")), fmt_duration(h.get("left")), h.get("info", "")]
             for h in holders]))
    else:
        lines.append("  holders: none")
    queue = g("queue") or []
    if queue:
        lines.append("  queue:")
        lines.extend(table(
            ["POS", "TICKET", "WAITED", "IDLE", "LEFT", "INFO"],
            [[str(q.get("position", "?")), q.get("ticket", "?"), fmt_duration(q.get("waited")),
              fmt_duration(q.get("idle")), fmt_duration(q.get("left")), q.get("info", "")]
             for q in queue]))
    else:
        lines.append("  queue: empty")
    return lines


# ---------------------------------------------------------------------------
# commands

def cmd_status(server, args, out):
    if args.watch:
        return watch_status(server, args, out)
    if args.count is not None:
        raise UsageError("--count goes with --watch")
    locks = server.call("admin.status")
    if not isinstance(locks, list) or not all(isinstance(x, dict) for x in locks):
        raise Failure(EX_UNAVAILABLE, "bad answer from %s to admin.status: %s" % (
            server.safe_url, one_line(repr(locks))[:200]))
    if args.lock is not None:
        locks = [x for x in locks if x.get("name") == args.lock]
        if not locks:
            raise Failure(EX_FAIL, "no lock named %s on %s" % (one_line(repr(args.lock)), server.safe_url))
    if args.json:
        out.write(json.dumps(locks if args.lock is None else locks[0], indent=2, sort_keys=True) + "\n")
        return EX_OK
    if not locks:
        out.write("no locks\n")
        return EX_OK
    for i, lock in enumerate(locks):
        if i:
            out.write("\n")
        out.write("\n".join(format_lock(lock)) + "\n")
    return EX_OK


def watch_status(server, args, out):
    """status --watch: a line per lock, then one per change (lock.watch), until Ctrl-C or
    --count lines."""
    if args.lock is not None:
        names = [args.lock]
    else:
        locks = server.call("lock.list")
        if not isinstance(locks, list) or not all(isinstance(x, dict) and "name" in x for x in locks):
            raise Failure(EX_UNAVAILABLE, "bad answer from %s to lock.list: %s" % (
                server.safe_url, one_line(repr(locks))[:200]))
        names = [x["name"] for x in locks]
        if not names:
            raise Failure(EX_FAIL, "no locks on %s to watch" % server.safe_url)
        if len(names) > MAX_WATCHED:
            raise UsageError("%d locks are too many to watch at once (at most %d): name one"
                             % (len(names), MAX_WATCHED))

    def ask(name, since):
        state = server.call("lock.watch", name, since, WATCH_WAIT, wait=WATCH_WAIT)
        if not isinstance(state, dict) or not isinstance(state.get("version"), str) or not state["version"]:
            raise Failure(EX_UNAVAILABLE, "bad answer from %s to lock.watch: %s" % (
                server.safe_url, one_line(repr(state))[:200]))
        return state

    def show(state):
        if args.json:
            out.write(json.dumps(state, sort_keys=True) + "\n")
        else:
            out.write("%s %s\n" % (time.strftime("%H:%M:%S"), lock_line(state)))
        out.flush()

    try:
        follow(ask, names, show, args.count)
    except KeyboardInterrupt:       # the way to stop watching
        pass
    return EX_OK


def ticket_argument(text):
    """A ticket given on the command line, lowercased; UsageError if it is not one."""
    ticket = text.strip()
    if not _TICKET.match(ticket):
        raise UsageError("bad ticket %s: a ticket is 32 hex digits" % one_line(repr(text)))
    return ticket.lower()


def cmd_release(server, args, out):
    ticket = ticket_argument(args.ticket)
    released = server.call("admin.release", ticket)
    if not isinstance(released, bool):
        raise Failure(EX_UNAVAILABLE, "bad answer from %s to admin.release: %s" % (
            server.safe_url, one_line(repr(released))[:200]))
    if args.json:
        out.write(json.dumps({"ticket": ticket, "released": released}) + "\n")
    elif released:
        out.write("released %s\n" % ticket)
    else:
        out.write("not found: %s (already released or expired)\n" % ticket)
    return EX_OK if released else EX_FAIL


def cmd_revoke(server, args, out):
    ticket = ticket_argument(args.ticket)
    reason = args.reason.strip()
    if not reason:
        raise UsageError("REASON must not be empty: the holder is told it")
    revoked = server.call("admin.revoke", ticket, reason, wire_seconds(args.seconds))
    if not isinstance(revoked, bool):
        raise Failure(EX_UNAVAILABLE, "bad answer from %s to admin.revoke: %s" % (
            server.safe_url, one_line(repr(revoked))[:200]))
    if args.json:
        out.write(json.dumps({"ticket": ticket, "revoked": revoked}) + "\n")
    elif revoked:
        out.write("revoked %s: the holder is asked to let go; force-released in %s unless it does\n"
                  % (ticket, fmt_duration(args.seconds)))
    else:
        out.write("not found: %s (already released or expired)\n" % ticket)
    return EX_OK if revoked else EX_FAIL


def call_expecting_true(server, method):
    """Calls ``method``, which answers true; anything else is a one-line failure."""
    answer = server.call(method)
    if answer is not True:
        raise Failure(EX_UNAVAILABLE, "unexpected answer from %s to %s: %s" % (
            server.safe_url, method, one_line(repr(answer))[:200]))


def cmd_shutdown(server, args, out):
    call_expecting_true(server, "admin.shutdown")
    out.write(json.dumps({"shutdown": True}) + "\n" if args.json else "shutting down\n")
    return EX_OK


def cmd_ping(server, args, out):
    call_expecting_true(server, "server.ping")
    out.write(json.dumps({"ok": True}) + "\n" if args.json else "ok\n")
    return EX_OK


def cmd_reload(server, args, out):
    changes = server.call("admin.reload")
    if not isinstance(changes, list):
        raise Failure(EX_UNAVAILABLE, "bad answer from %s to admin.reload: %s" % (
            server.safe_url, one_line(repr(changes))[:200]))
    if args.json:
        out.write(json.dumps({"changes": changes}, indent=2) + "\n")
    elif changes:
        out.write("".join("%s\n" % one_line(c) for c in changes))
    else:
        out.write("reloaded: no changes\n")
    return EX_OK


def _node_problem(url, error):
    """(exit status, one line) for a node that gave no cluster view."""
    if isinstance(error, LockFault) and error.code == Fault.NOT_ALLOWED:
        # a single server, or a caller who is no admin: the server's message says which
        return EX_FAIL, "%s: no cluster view: %s" % (url, one_line(error.fault_string))
    if isinstance(error, LockFault):
        return EX_FAIL, "%s refused admin.cluster: fault %s (%s): %s" % (
            url, error.code, error.name, one_line(error.fault_string))
    if isinstance(error, LockHttpError) and error.status in (401, 403):
        return EX_FAIL, one_line(error)
    return EX_UNAVAILABLE, one_line(error)


def cmd_cluster(server, args, out):
    answers = []
    for url, answer in server.call_every("admin.cluster"):
        if not isinstance(answer, (dict, LockError)):
            answer = LockError("bad answer from %s to admin.cluster: %s" % (url, one_line(repr(answer))[:200]))
        answers.append((url, answer))
    views = [(url, a) for url, a in answers if isinstance(a, dict)]
    if not views:
        problems = [_node_problem(url, a) for url, a in answers]
        refused = any(status == EX_FAIL for status, _ in problems)
        raise Failure(EX_FAIL if refused else EX_UNAVAILABLE, "; ".join(line for _, line in problems))
    leaders = {str(view.get("leader", "")) for _, view in views}
    status = EX_OK if len(views) == len(answers) and len(leaders) == 1 and "" not in leaders else EX_FAIL
    if args.json:
        out.write(json.dumps([{"url": url, "cluster": a} if isinstance(a, dict)
                              else {"url": url, "error": one_line(a)} for url, a in answers],
                             indent=2, sort_keys=True) + "\n")
        return status
    rows = [[str(v.get("node", "?")), str(v.get("role", "?")), "term %s" % v.get("term", "?"),
             "applied %s" % v.get("applied", "?"),
             "leader %s" % v["leader"] if v.get("leader") else "no leader", url] for url, v in views]
    node_lines = iter(columns(rows))
    for url, answer in answers:
        if isinstance(answer, dict):
            out.write(next(node_lines) + "\n")
            differ = answer.get("settings_differ")
            if differ and isinstance(differ, list):
                out.write("%s  lock settings differ from the leader's: %s\n" % (
                    one_line(answer.get("node", "?")), ", ".join(one_line(name) for name in differ)))
        else:
            problem, line = _node_problem(url, answer)
            out.write("%s: %s\n" % ("refused" if problem == EX_FAIL else "unreachable", line))
    return status


def cmd_peers(server, args, out):
    view = server.call("admin.peers", args.peers)
    peers = view.get("peers") if isinstance(view, dict) else None
    if not isinstance(peers, list) or not all(isinstance(p, dict) for p in peers):
        raise Failure(EX_UNAVAILABLE, "bad answer from %s to admin.peers: %s" % (
            server.safe_url, one_line(repr(view))[:200]))
    if args.json:
        out.write(json.dumps(view, indent=2, sort_keys=True) + "\n")
        return EX_OK
    members = [[str(p.get("node", "?")), str(p.get("address", "?"))] for p in peers]
    out.write("cluster members now (as node %s has them; leader %s):\n" % (
        one_line(view.get("node", "?")), one_line(view.get("leader") or "none")))
    out.write("".join(line + "\n" for line in columns(members, "    ")))
    out.write("put this list in every node's [cluster] section: PEERS=%s\n" % one_line(
        ",".join("%s@%s" % (node, address) for node, address in members)))
    return EX_OK


# ---------------------------------------------------------------------------
# command line

_EPILOG = """\
commands:
  status [LOCK]    every lock (or LOCK): size, granted and queued counts (and
                   used and delayed slots when the server tells them), the
                   holders (ticket, fencing token, held for, idle, time left,
                   info) and the queue (position, ticket, waited, idle, left, info)
  status --watch [--count N] [LOCK]
                   follow every lock (or LOCK) with lock.watch: a line per lock
                   ("HH:MM:SS NAME: size S, G granted, Q queued, U used, D
                   delayed"; --json: its struct), then one per change, until
                   Ctrl-C (exit 0) or N lines; the locks there at the start, at
                   most %d
  release TICKET   force-release a held or queued ticket (admin.release)
  revoke TICKET REASON SECONDS
                   ask the holder of TICKET to let go (admin.revoke): lockcli
                   and lockrun see REASON at their next heartbeat (lockrun stops
                   its command); the server force-releases the ticket after
                   SECONDS
  shutdown         stop the server (admin.shutdown; the server must set
                   ALLOW_REMOTE_SHUTDOWN=true in [general])
  ping             check that the server answers (server.ping): prints "ok"
  reload           re-read the server's config file (as SIGHUP does) and print
                   the changes applied
  cluster          ask every URL given for its node's view (admin.cluster): one
                   line per node (id, role, term, applied index, leader, URL),
                   "unreachable: ..." for a URL that did not answer, and the
                   locks whose settings differ from the leader's
  peers LIST       make the cluster's members those of LIST (id@host:port,
                   comma-separated, as PEERS; admin.peers on any node) and print
                   the members

environment:
  LOCKSERVER_URL     server URL(s) when --url is not given (default %s)
  LOCKSERVER_CAFILE  CA file when --cafile is not given

exit status:
  0   done; cluster: every node answered and all name the same leader
  1   the server refused the call (fault: its code and message are printed;
      or HTTP 401/403: credentials refused), release found no such ticket,
      status found no such lock, revoke found no such ticket; cluster: a node did not answer, has no
      leader or names another one, or the server is not a cluster node
  64  bad usage
  69  the server cannot be reached or gave no usable answer (cluster: none of
      the URLs)
""" % (MAX_WATCHED, DEFAULT_URL)


def _common(parser, top):
    # At the top, real defaults; on the subcommands SUPPRESS, so that an option
    # given before the command is not reset by the subparser.
    d = (lambda v: v) if top else (lambda v: argparse.SUPPRESS)
    parser.add_argument("-u", "--url", metavar="URL[,URL...]", default=d(None),
                        help="server XML-RPC URL; user:password@ in it for HTTP Basic auth (then "
                             "prefer $LOCKSERVER_URL: command lines are visible to other users); "
                             "for a cluster, the nodes' URLs separated by commas, tried in turn "
                             "(default: $LOCKSERVER_URL, else %s)" % DEFAULT_URL)
    parser.add_argument("--json", action="store_true", default=d(False),
                        help="print the answer as JSON")
    parser.add_argument("--timeout", metavar="SECONDS", type=positive_seconds, default=d(DEFAULT_HTTP_TIMEOUT),
                        help="socket timeout of the call (default: %g)" % DEFAULT_HTTP_TIMEOUT)
    parser.add_argument("--cafile", metavar="FILE", default=d(None),
                        help="for https URLs: trust the CA certificate(s) in FILE (PEM) "
                             "instead of the system's (default: $LOCKSERVER_CAFILE)")


def make_parser(prog: str = "lockctl") -> argparse.ArgumentParser:
    p = ArgumentParser(prog=prog, description="Show and control a lockserver (its admin.* methods).",
                       epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common(p, True)
    p.add_argument("--version", action="version", version="%(prog)s " + __version__)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    s = sub.add_parser("status", help="show the locks, their holders and queues")
    s.add_argument("lock", nargs="?", metavar="LOCK", help="only this lock")
    s.add_argument("--watch", action="store_true",
                   help="print a line per lock, then one per change (lock.watch), until Ctrl-C")
    s.add_argument("--count", metavar="N", type=whole(1),
                   help="with --watch: stop after N lines")
    r = sub.add_parser("release", help="force-release a ticket")
    r.add_argument("ticket", metavar="TICKET")
    rv = sub.add_parser("revoke", help="ask the holder of a ticket to let go, force-release it later")
    rv.add_argument("ticket", metavar="TICKET")
    rv.add_argument("reason", metavar="REASON", help="told to the holder")
    rv.add_argument("seconds", metavar="SECONDS", type=seconds,
                    help="the server force-releases the ticket after SECONDS")
    sd = sub.add_parser("shutdown", help="stop the server (needs ALLOW_REMOTE_SHUTDOWN=true)")
    pi = sub.add_parser("ping", help="check that the server answers")
    rl = sub.add_parser("reload", help="re-read the server's config file")
    c = sub.add_parser("cluster", help="show every node's view of the cluster")
    pe = sub.add_parser("peers", help="change the cluster's members")
    pe.add_argument("peers", metavar="LIST", help="every member as id@host:port of its Raft port, comma-separated")
    for sp in (s, r, rv, sd, pi, rl, c, pe):
        _common(sp, False)
    s.set_defaults(func=cmd_status)
    r.set_defaults(func=cmd_release)
    rv.set_defaults(func=cmd_revoke)
    sd.set_defaults(func=cmd_shutdown)
    pi.set_defaults(func=cmd_ping)
    rl.set_defaults(func=cmd_reload)
    c.set_defaults(func=cmd_cluster)
    pe.set_defaults(func=cmd_peers)
    return p


def main(argv: Optional[Sequence[str]] = None, out: Optional[TextIO] = None) -> int:
    prog = "lockctl"
    out = sys.stdout if out is None else out
    try:
        try:
            args = make_parser(prog).parse_args(argv)
            if getattr(args, "func", None) is None:
                raise UsageError("no command given")
            url, url_from = setting(args.url, "--url", "LOCKSERVER_URL", DEFAULT_URL)
            cafile, cafile_from = setting(args.cafile, "--cafile", "LOCKSERVER_CAFILE")
            context = None if cafile is None else checked(cafile_from, tls_context, cafile)
            server = Server(checked(url_from, Endpoints, url, ssl_context=context), args.timeout)
            status = args.func(server, args, out)
            out.flush()
            return status
        except UsageError as e:
            say(prog, "%s (see %s --help)" % (e, prog))
            return EX_USAGE
        except Failure as e:
            say(prog, e)
            return e.status
        except SystemExit as e:      # --help, --version
            return e.code if isinstance(e.code, int) else EX_OK
        except KeyboardInterrupt:
            say(prog, "interrupted")
            return 130
        except BrokenPipeError:
            # stdout closed early (lockctl status | head): not an error worth a traceback
            try:
                sys.stdout = open(os.devnull, "w")
            except OSError:
                pass
            return EX_OK
    except Exception as e:  # never a traceback
        say(prog, "internal error: %s: %s" % (type(e).__name__, one_line(e)))
        return EX_SOFTWARE

