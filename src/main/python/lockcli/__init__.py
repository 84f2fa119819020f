"""Python client of lockserver, a network counting-semaphore server.

The wire API (XML-RPC over HTTP at /RPC2) is specified in docs/API.md.
Standard library only; Python 3.8 or later. Typed (PEP 561: py.typed).
Installed by the Debian package lockserver-client, or with pip from the wheel built
from src/main/python/pyproject.toml (README, "Python client").

Library use::

    import lockcli, socket, time
    l = lockcli.Lock("http://lockserver.example.com:9090/RPC2", "DefaultLock")
    if l.lock_query("i queried a lock from %s" % socket.gethostname()):
        if l.lock_wait():
            time.sleep(30)  # the hard job
            l.lock_release()

The nodes of a cluster: several URLs, comma-separated (or a list); a call that gets
no answer from one node goes to the next::

    l = lockcli.Lock("http://node1:9090/RPC2,http://node2:9090/RPC2", "DefaultLock")

With users on the server (HTTP Basic auth) and TLS::

    l = lockcli.Lock("https://lockserver.example.com:9090/RPC2", "DefaultLock",
                     username="alice", password=secret, cafile="/etc/lockserver/ca.pem")

or, raising exceptions instead of returning False::

    with lockcli.Lock(url, "DefaultLock").acquired("nightly backup", timeout=60, heartbeat=60) as l:
        do_the_job(fencing_token=l.token)

The ``lock_*`` methods never raise on server trouble: they return False (or
None for ``lock_check``), log the reason through the ``lockcli`` logger and
keep it in ``Lock.last_error``. ``acquired()`` raises ``LockError`` (or its
subclass ``LockTimeout``) instead.

Options of a ticket (servers since issue 16; sent only when given, so plain calls
still suit older servers): ``permits=N`` slots at once, ``exclusive=True`` for every
slot of the lock, ``priority=0..9`` (higher is granted first)::

    l.lock_query("reindex", permits=2, priority=5)

With a heartbeat, a Lock notices when an operator revokes its ticket (admin.revoke:
let go, the server force-releases it at a deadline): ``Lock.revoked`` and the
``on_revoke`` callback; and a lost slot: ``Lock.lost`` and ``on_lost``.

A Lock keeps its HTTP/1.1 connection to the server open from one call to the
next (keep-alive; ``Lock.close()`` closes it). A Lock is for one thread plus
its heartbeat thread; see the Lock class for what is thread-safe.

Command line: ``lockrun ...`` or ``python3 -m lockcli run ...`` runs a command
while holding a slot of a lock; see ``lockrun --help``. ``lockctl`` shows and
controls a server; see ``lockctl --help``.

Modules: ``lock`` (the Lock API), ``options`` (the options of a ticket), ``faults`` (the fault codes and the exceptions),
``transport`` and ``pool`` (XML-RPC over kept-alive HTTP, TLS, Basic auth),
``failover`` (several URLs, the nodes of a cluster, tried in turn),
``lockrun`` and ``lockctl`` (the commands), ``child`` (lockrun's command: its process
group, the signals it gets), ``cli`` (what the commands share).
"""

# Every public name of the one-file lockcli.py this package replaces is still here.
from .cli import EX_LOST, EX_NOEXEC, EX_NOTFOUND, EX_SOFTWARE, EX_TEMPFAIL, EX_UNAVAILABLE, EX_USAGE
from .faults import (FAULT_BAD_ARGUMENT, FAULT_BAD_CONFIG, FAULT_BAD_REQUEST, FAULT_BAD_TICKET,
                     FAULT_INTERNAL, FAULT_NAMES, FAULT_NO_LEADER, FAULT_NOT_ALLOWED, FAULT_QUEUE_FULL,
                     FAULT_SHUTTING_DOWN, FAULT_UNAUTHENTICATED, FAULT_UNKNOWN_LOCK,
                     FAULT_UNKNOWN_METHOD, Fault, LockError, LockFault, LockGone, LockHttpError,
                     LockNoAnswer, LockTimeout, LockUnreachable)
from .lock import DEFAULT_LOCK, MAX_INFO_CHARS, WAIT_CHUNK, Lock, Revocation, clean_info, default_info
from .options import MAX_PRIORITY
from .lockrun import main, main_run
from .pool import MAX_IDLE
from .transport import DEFAULT_HTTP_TIMEOUT, __version__, fmt_seconds, log, redact_url, tls_context

__all__ = [
    "Lock", "Revocation", "MAX_PRIORITY", "LockError", "LockTimeout", "LockFault", "LockUnreachable", "LockNoAnswer", "LockGone",
    "main", "main_run", "redact_url", "tls_context",
    "FAULT_UNKNOWN_LOCK", "FAULT_BAD_TICKET", "FAULT_BAD_ARGUMENT", "FAULT_UNKNOWN_METHOD",
    "FAULT_QUEUE_FULL", "FAULT_NOT_ALLOWED", "FAULT_SHUTTING_DOWN", "FAULT_BAD_REQUEST",
    "FAULT_BAD_CONFIG", "FAULT_UNAUTHENTICATED", "FAULT_NO_LEADER", "FAULT_INTERNAL",
    "Fault", "LockHttpError",
]
