"""The lockrun command: run a command while holding a slot of a lock (see lockrun --help).

When the heartbeat finds the slot lost while COMMAND runs (the ticket expired, was
force-released, or the deadline of a revocation passed), lockrun stops COMMAND as
--on-lost says (term: SIGTERM, then SIGKILL after --kill-after seconds; kill: SIGKILL)
and exits EX_LOST (76); --on-lost=warn lets COMMAND run on. When an operator revokes the
ticket (admin.revoke), lockrun sends SIGTERM to COMMAND, releases the slot once COMMAND
has ended and exits with COMMAND's status. COMMAND and its signals: child.py.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import math
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from typing import Optional, Sequence

from .child import Child
from .cli import (EX_LOST, EX_NOEXEC, EX_NOTFOUND, EX_SOFTWARE, EX_TEMPFAIL, EX_UNAVAILABLE, EX_USAGE,
                  ArgumentParser, UsageError, checked, positive_seconds, say, seconds, setting, whole)
from .faults import LockError, LockTimeout
from .failover import split_urls
from .lock import DEFAULT_LOCK, Lock
from .options import MAX_PRIORITY
from .transport import DEFAULT_HTTP_TIMEOUT, check_url, fmt_seconds, split_userinfo, tls_context


class _Signalled(BaseException):
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


_RUN_DESCRIPTION = """\
Run COMMAND while holding a slot of a lockserver lock: queue a ticket, wait
for the grant, run COMMAND with the ticket renewed in the background, release
the slot when COMMAND ends (also when it fails or lockrun is signalled), and
exit with COMMAND's status."""

_RUN_EPILOG = """\
environment:
  LOCKSERVER_URL       server URL(s) when --url is not given
  LOCKSERVER_LOCK      lock name when --lock is not given
  LOCKSERVER_USER      user name when --user is not given
  LOCKSERVER_PASSWORD  password of the user; when unset, lockrun asks for it if
                       stdin is a terminal (there is no password option: command
                       lines are visible to other users). Not passed on to COMMAND.
  LOCKSERVER_CAFILE    CA file when --cafile is not given
  COMMAND gets LOCKRUN_LOCK, LOCKRUN_TICKET and LOCKRUN_TOKEN (the fencing
  token of the grant: pass it to a resource that can check it).

security:
  With users on the server, every call needs a user name and password (HTTP
  Basic auth): --user (or $LOCKSERVER_USER) with $LOCKSERVER_PASSWORD, or
  user:password@ in the URL; --user wins over the URL's. For an https URL the
  server's certificate and host name are verified against the system's CAs,
  or against --cafile (e.g. the server's own certificate when self-signed).

signals:
  SIGINT, SIGTERM and SIGHUP are forwarded to COMMAND; lockrun waits for it,
  releases the slot and exits with COMMAND's status (128+N if COMMAND died of
  signal N). While waiting for the lock they cancel the ticket; exit 128+N.
  COMMAND leads a process group of its own and lockrun's signals go to that
  group, so that what COMMAND started stops too (sh -c 'a; b'). In the
  foreground of a terminal, COMMAND stays in lockrun's group (so that it can
  read the terminal) and gets lockrun's signals alone.

lost slot, revocation (both seen by the heartbeat, at its interval):
  When the ticket is gone while COMMAND runs (expired, force-released by an
  operator, or the deadline of a revocation passed), --on-lost says what
  happens: term (default) sends SIGTERM to COMMAND, then SIGKILL after
  --kill-after seconds if it still runs; kill sends SIGKILL at once; either
  way lockrun exits 76 once COMMAND has ended. warn only prints a warning and
  lets COMMAND run on (lockrun then exits with COMMAND's status).
  When an operator revokes the ticket (lockctl revoke TICKET REASON SECONDS:
  let go within SECONDS), lockrun prints the reason, sends SIGTERM to COMMAND
  at once, waits for it, releases the slot and exits with COMMAND's status
  (143 if it died of the SIGTERM); with --on-lost=warn it only prints the
  warning. If the deadline passes first, the slot is lost (see above).

exit status:
  COMMAND's status  COMMAND ran (128+N if it died of signal N)
  64   bad usage (also: no password for --user without a terminal, unusable --cafile)
  69   server unreachable, certificate verify failed, authentication failed,
       not allowed, refused the call (fault) or dropped the ticket
  70   internal error of lockrun
  75   timed out waiting for the lock (--wait)
  76   the slot was lost while COMMAND ran and lockrun stopped COMMAND
       (--on-lost=term or kill)
  126  COMMAND found but cannot be executed
  127  COMMAND not found

example:
  lockrun --url http://lockserver:9090/RPC2 --lock Backup --wait 3600 -- rsync -a /src/ /dst/
  lockrun --url http://node1:9090/RPC2,http://node2:9090/RPC2,http://node3:9090/RPC2 -- backup.sh
  lockrun --lock Backup --exclusive --priority 9 --kill-after 60 -- restore.sh
  lockrun --url https://lockserver:9090/RPC2 --user backup \\
      --cafile /etc/lockserver/ca.pem --lock Backup -- rsync -a /src/ /dst/
"""


def make_parser(prog: str = "lockrun") -> argparse.ArgumentParser:
    p = ArgumentParser(prog=prog, description=_RUN_DESCRIPTION, epilog=_RUN_EPILOG,
                       usage="%(prog)s [options] [--] COMMAND [ARGS...]",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-u", "--url", metavar="URL[,URL...]",
                   help="lockserver XML-RPC URL, e.g. http://host:9090/RPC2 or "
                        "https://host:9090/RPC2; user:password@ in it for HTTP Basic auth (then "
                        "prefer $LOCKSERVER_URL, or --user: command lines are visible to other "
                        "users). For a cluster, the nodes' URLs separated by commas: a call that "
                        "gets no answer from one goes to the next (default: $LOCKSERVER_URL)")
    p.add_argument("--user", metavar="USER",
                   help="authenticate as USER (HTTP Basic auth); the password comes from "
                        "$LOCKSERVER_PASSWORD, else lockrun asks for it when stdin is a terminal "
                        "(default: $LOCKSERVER_USER, else the user in the URL)")
    p.add_argument("--cafile", metavar="FILE",
                   help="PEM file of the CA certificate(s) that signed the server's certificate, "
                        "for an https URL; the certificate and the host name are always verified "
                        "(default: $LOCKSERVER_CAFILE, else the system's CAs)")
    p.add_argument("-l", "--lock", metavar="NAME",
                   help="lock name (default: $LOCKSERVER_LOCK, else %s)" % DEFAULT_LOCK)
    p.add_argument("-w", "--wait", metavar="SECONDS", type=seconds,
                   help="give up (exit 75) if the slot is not granted within SECONDS; "
                        "0 tries once without waiting (default: wait as long as it takes)")
    p.add_argument("-i", "--info", metavar="TEXT",
                   help="text shown to operators by the server "
                        "(default: 'lockrun on HOSTNAME: COMMAND...')")
    p.add_argument("--heartbeat", metavar="SECONDS", type=seconds,
                   help="renew the ticket every SECONDS while COMMAND runs; 0 disables "
                        "(default: every 60 s, or a third of the ticket's time left at the "
                        "grant if that is shorter)")
    p.add_argument("--permits", metavar="N", type=whole(1),
                   help="take N slots of the lock at once (default: 1)")
    p.add_argument("--exclusive", action="store_true",
                   help="take every slot of the lock (not with --permits)")
    p.add_argument("--priority", metavar="N", type=whole(0, MAX_PRIORITY),
                   help="0 to %d: a higher priority is granted before a lower one, "
                        "first come first served within one (default: 0)" % MAX_PRIORITY)
    p.add_argument("--on-lost", choices=("term", "kill", "warn"), default="term",
                   help="when the slot is lost while COMMAND runs: term: SIGTERM, then "
                        "SIGKILL after --kill-after; kill: SIGKILL at once (both exit 76); "
                        "warn: print a warning, let COMMAND run on (default: term)")
    p.add_argument("--kill-after", metavar="SECONDS", type=seconds, default=10.0,
                   help="with --on-lost=term: SIGKILL this long after the SIGTERM if COMMAND "
                        "still runs (default: 10)")
    p.add_argument("--http-timeout", metavar="SECONDS", type=positive_seconds,
                   default=DEFAULT_HTTP_TIMEOUT,
                   help="socket timeout of each call to the server (default: %s)"
                        % fmt_seconds(DEFAULT_HTTP_TIMEOUT))
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print no notices, warnings or timeout message (errors that stop "
                        "lockrun before COMMAND runs are still printed; a 'waiting for lock' "
                        "notice is only ever shown when stderr is a terminal)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="log every call to the server on stderr")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND",
                   help="the command to run, with its arguments")
    return p


def _find_command(name):
    """None if ``name`` looks runnable, else (exit status, message)."""
    def problem(path):
        if not os.path.exists(path):
            return None
        if os.path.isdir(path):
            return EX_NOEXEC, "%s: Is a directory" % name
        if not os.access(path, os.X_OK):
            return EX_NOEXEC, "%s: Permission denied" % name
        return False

    if "/" in name:
        found = problem(name)
        if found is None:
            return EX_NOTFOUND, "%s: No such file or directory" % name
        return found or None
    first = None
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        found = problem(os.path.join(folder or ".", name))
        if found is False:
            return None
        if found is not None and first is None:
            first = found
    return first or (EX_NOTFOUND, "%s: command not found" % name)


class _Runner:
    SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))

    def __init__(self, prog):
        self.prog = prog            # in usage lines
        self.name = "lockrun"       # in messages
        self.quiet = False
        self.mode = "defer"      # defer: note signals; raise: interrupt the wait; forward: to COMMAND
        self.pending = []
        self.child = None
        self.on_lost = "term"       # --on-lost
        self.kill_after = 10.0      # --kill-after

    # messages: one line each on stderr, never a traceback
    def say(self, message):
        say(self.name, message)

    def notice(self, message):
        if not self.quiet:
            self.say(message)

    @staticmethod
    def _interactive():
        try:
            return sys.stderr.isatty()
        except (AttributeError, OSError, ValueError):
            return False

    def on_signal(self, signum, frame):
        if self.mode == "raise":
            self.mode = "defer"
            raise _Signalled(signum)
        self.pending.append(signum)
        child = self.child
        if self.mode == "forward" and child is not None:
            child.signal(signum)

    # the heartbeat's notices, from its thread
    def slot_lost(self, lock):
        child = self.child
        if child is None or self.on_lost == "warn":
            return                      # the library has printed its warning
        signum = signal.SIGKILL if self.on_lost == "kill" else signal.SIGTERM
        if child.stop(signum, self.kill_after):
            self.notice("lock %s: the slot is lost: stopping COMMAND (%s)" % (
                lock.lockname, "SIGKILL" if signum == signal.SIGKILL else
                "SIGTERM, SIGKILL in %s s if it still runs" % fmt_seconds(self.kill_after)))

    def revoked(self, lock):
        child = self.child
        if child is None or self.on_lost == "warn":
            return
        if child.signal(signal.SIGTERM):
            self.notice("lock %s: revoked: stopping COMMAND (SIGTERM), then releasing the slot"
                        % lock.lockname)

    def run(self, argv):
        try:
            args = make_parser(self.prog).parse_args(argv)
            command = list(args.command)
            if command and command[0] == "--":
                command = command[1:]
            if not command:
                raise UsageError("no COMMAND given")
            url, url_from = setting(args.url, "--url", "LOCKSERVER_URL")
            if not url:
                raise UsageError("no server URL: give --url URL or set LOCKSERVER_URL")
            lockname, _ = setting(args.lock, "--lock", "LOCKSERVER_LOCK", DEFAULT_LOCK)
            wait = None if args.wait is None or math.isinf(args.wait) else args.wait
            user, user_from = setting(args.user, "--user", "LOCKSERVER_USER")
            cafile, cafile_from = setting(args.cafile, "--cafile", "LOCKSERVER_CAFILE")
            urls = checked(url_from, split_urls, url)
            parts = [checked(url_from, check_url, u) for u in urls]
            if user is None:
                for p in parts:
                    if p.username is not None and p.password is None:      # user@ without a password
                        user, user_from = urllib.parse.unquote(p.username), url_from
                        break
            if user is not None and ":" in user:
                raise UsageError("%s: a user name cannot contain ':' (HTTP Basic auth): %r" % (user_from, user))
            context = None if cafile is None else checked(cafile_from, tls_context, cafile)
            if args.exclusive and args.permits is not None:
                raise UsageError("--permits and --exclusive do not go together: --exclusive takes every slot")
        except UsageError as e:
            self.say("%s (see %s --help)" % (e, self.prog))
            return EX_USAGE
        except SystemExit as e:         # --help
            return e.code if isinstance(e.code, int) else 0
        self.quiet = args.quiet
        self.on_lost, self.kill_after = args.on_lost, args.kill_after
        options = dict(permits=args.permits, exclusive=args.exclusive or None, priority=args.priority)
        self._setup_logging(args.verbose, args.quiet)

        problem = _find_command(command[0])
        if problem is not None:
            self.say(problem[1])
            return problem[0]
        try:
            password = None if user is None else self._password(user, parts)
            lock = Lock(urls, lockname, http_timeout=args.http_timeout, ssl_context=context,
                        username=user, password=password, on_lost=self.slot_lost,
                        on_revoke=self.revoked)
        except (UsageError, ValueError) as e:
            self.say("%s (see %s --help)" % (e, self.prog))
            return EX_USAGE
        info = args.info
        if info is None:
            info = "lockrun on %s: %s" % (socket.gethostname(),
                                          " ".join(shlex.quote(a) for a in command))

        old_handlers = {}
        for signum in self.SIGNALS:
            try:
                old_handlers[signum] = signal.signal(signum, self.on_signal)
            except (OSError, ValueError):
                pass
        try:
            # one Lock, so one kept-alive connection, for the query, the wait, the heartbeat and the release
            return self._locked_run(lock, command, info, wait, args.heartbeat, options)
        finally:
            lock.close()
            self.mode = "defer"
            for signum, handler in old_handlers.items():
                try:
                    signal.signal(signum, handler)
                except (OSError, ValueError, TypeError):
                    pass

    def _password(self, user, parts):
        """$LOCKSERVER_PASSWORD, else asked on the terminal; UsageError if neither."""
        password = os.environ.get("LOCKSERVER_PASSWORD")
        if password is not None:
            return password
        try:
            interactive = sys.stdin is not None and sys.stdin.isatty()
        except (AttributeError, OSError, ValueError):
            interactive = False
        if not interactive:
            raise UsageError("no password for user %r: set LOCKSERVER_PASSWORD (lockrun asks "
                              "for it only when stdin is a terminal)" % user)
        try:
            return getpass.getpass("%s: password of %s at %s: " % (
                self.name, user, ",".join(split_userinfo(p)[0] for p in parts)))
        except EOFError:
            raise UsageError("no password given for user %r" % user)

    def _setup_logging(self, verbose, quiet):
        """Library warnings (heartbeat trouble, lost slot) as one line each; all calls if verbose."""
        if quiet and not verbose:
            return
        logger = logging.getLogger("lockcli")
        handler = logging.StreamHandler(sys.stderr)
        if verbose:
            handler.setFormatter(logging.Formatter(self.name + ": %(message)s"))
            logger.setLevel(logging.DEBUG)
        else:
            handler.setFormatter(logging.Formatter(self.name + ": warning: %(message)s"))
            handler.setLevel(logging.WARNING)
        logger.addHandler(handler)

    def _locked_run(self, lock, command, info, wait, heartbeat, options):
        start = time.monotonic()
        try:
            lock.query(info, **options)
        except LockError as e:
            self.say(str(e))
            return EX_UNAVAILABLE
        if self.pending:
            lock._cancel()
            return 128 + self.pending[0]

        outcome = None
        try:
            try:
                self.mode = "raise"
                if self.pending:
                    self.mode = "defer"
                    raise _Signalled(self.pending[0])
                outcome = self._acquire(lock, start, wait)
            finally:
                self.mode = "defer"
        except _Signalled as s:
            lock._cancel()
            return 128 + s.signum
        if outcome is not None:             # (exit status, message)
            lock._cancel()
            status, message = outcome
            if status == EX_TEMPFAIL:
                self.notice(message)
            else:
                self.say(message)
            return status
        return self._run_command(lock, command, heartbeat)

    def _acquire(self, lock, start, wait):
        """None once granted, else (exit status, message)."""
        try:
            st = lock.check()               # claims a grant made at once by the query
            if st.get("state") == "granted":
                lock._granted(checked=True)
                return None
            if st.get("state") == "gone":
                return EX_UNAVAILABLE, "lock %s: the server dropped the ticket" % lock.lockname
            remaining = None if wait is None else wait - (time.monotonic() - start)
            if (remaining is None or remaining > 0) and self._interactive():
                self.notice("waiting for lock %s (queued at position %s)"
                            % (lock.lockname, st.get("position", "?")))
            lock.wait(None if remaining is None else max(0.0, remaining))
            return None
        except LockTimeout:
            return EX_TEMPFAIL, "timed out after %s s waiting for lock %s" % (
                fmt_seconds(wait), lock.lockname)
        except LockError as e:
            return EX_UNAVAILABLE, str(e)

    def _run_command(self, lock, command, heartbeat):
        if heartbeat is None:
            left = 0.0
            try:
                left = float(lock.check().get("left", 0.0))
            except (LockError, TypeError, ValueError):
                pass
            heartbeat = min(60.0, left / 3.0) if left > 0 else 60.0
            heartbeat = max(heartbeat, 0.5)
        if math.isinf(heartbeat):
            heartbeat = 0

        env = dict(os.environ)
        env.pop("LOCKSERVER_PASSWORD", None)      # COMMAND has no business with it
        env["LOCKRUN_LOCK"] = lock.lockname
        env["LOCKRUN_TICKET"] = lock.ticket or ""
        env["LOCKRUN_TOKEN"] = lock.token or ""

        self.mode = "forward"
        status = None
        try:
            if self.pending:                    # signalled between grant and start
                status = 128 + self.pending[0]
            else:
                status = self._start(command, env)
                if self.child is not None:
                    if heartbeat:
                        lock.start_heartbeat(heartbeat)
                    for signum in self.pending:
                        self.child.signal(signum)
                    status = self.child.wait()
                    if self.child.stopped:
                        status = EX_LOST
        finally:
            self.mode = "defer"
            lost = lock.lost                    # release() forgets it
            try:
                if not lock.release(timeout=min(lock.http_timeout, 10.0)) and not lost:
                    self.notice("warning: lock %s was already gone on release" % lock.lockname)
            except LockError as e:
                self.notice("warning: could not release lock %s: %s" % (lock.lockname, e))
        return status

    def _start(self, command, env):
        """Starts COMMAND as self.child; None, or the exit status when it could not start."""
        try:
            self.child = Child(command, env)
            return None
        except FileNotFoundError:
            self.say("%s: command not found" % command[0])
            return EX_NOTFOUND
        except (PermissionError, IsADirectoryError):
            self.say("%s: Permission denied" % command[0])
            return EX_NOEXEC
        except (OSError, ValueError, subprocess.SubprocessError) as e:
            self.say("%s: cannot run: %s" % (command[0], e))
            return EX_NOEXEC


def main_run(argv: Optional[Sequence[str]] = None, prog: str = "lockrun") -> int:
    """The lockrun command; returns its exit status."""
    if argv is None:
        argv = sys.argv[1:]
    try:
        return _Runner(prog).run(list(argv))
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except Exception as e:          # no tracebacks for users
        say(prog, "internal error: %s: %s" % (type(e).__name__, e))
        return EX_SOFTWARE


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python3 -m lockcli run ...``: the lockrun command."""
    if argv is None:
        argv = sys.argv[1:]
    usage = "usage: python3 -m lockcli run [options] [--] COMMAND [ARGS...]  (see: python3 -m lockcli run --help)\n"
    if argv and argv[0] == "run":
        return main_run(argv[1:], prog="python3 -m lockcli run")
    if argv and argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(usage)
        return 0
    sys.stderr.write(usage)
    return EX_USAGE

