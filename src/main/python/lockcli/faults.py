"""The fault codes of the wire API and the exceptions of lockcli.

``Fault`` is the one table of fault codes in Python; it mirrors the Java enum
``lockserver.wire.Fault`` (docs/API.md, "Faults"), and the JUnit test
PythonFaultTableTest checks that the two agree. Codes are stable: safe to switch on.
"""

from __future__ import annotations

import enum

__all__ = [
    "Fault", "FAULT_NAMES", "LockError", "LockTimeout", "LockUnreachable", "LockNoAnswer", "LockGone",
    "LockFault", "LockHttpError",
    "FAULT_UNKNOWN_LOCK", "FAULT_BAD_TICKET", "FAULT_BAD_ARGUMENT", "FAULT_UNKNOWN_METHOD",
    "FAULT_QUEUE_FULL", "FAULT_NOT_ALLOWED", "FAULT_SHUTTING_DOWN", "FAULT_BAD_REQUEST",
    "FAULT_BAD_CONFIG", "FAULT_UNAUTHENTICATED", "FAULT_NO_LEADER", "FAULT_INTERNAL",
]


class Fault(enum.IntEnum):
    """A fault code of the server, by name: ``Fault(10).name == "UNAUTHENTICATED"``."""

    UNKNOWN_LOCK = 1        # no lock of that name
    BAD_TICKET = 2          # the ticket is not 32 lowercase hex digits
    BAD_ARGUMENT = 3        # wrong arguments or a value out of range
    UNKNOWN_METHOD = 4      # no such method
    QUEUE_FULL = 5          # the lock's queue holds MAX_QUEUE tickets already
    NOT_ALLOWED = 6         # the server's config (or the user's role) does not allow this call
    SHUTTING_DOWN = 7       # the server is stopping and takes no new tickets
    BAD_REQUEST = 8         # the body is not a well-formed XML-RPC call
    BAD_CONFIG = 9          # admin.reload refused the config file
    UNAUTHENTICATED = 10    # no, or a wrong, user name and password (HTTP Basic)
    NO_LEADER = 11          # a cluster node that cannot reach a majority of its peers
    INTERNAL = 99           # unexpected server error (details in the server log)


#: code -> name, e.g. {1: "UNKNOWN_LOCK", ...}
FAULT_NAMES = {fault.value: fault.name for fault in Fault}

# The names lockcli has always exported, as plain ints.
FAULT_UNKNOWN_LOCK = Fault.UNKNOWN_LOCK.value
FAULT_BAD_TICKET = Fault.BAD_TICKET.value
FAULT_BAD_ARGUMENT = Fault.BAD_ARGUMENT.value
FAULT_UNKNOWN_METHOD = Fault.UNKNOWN_METHOD.value
FAULT_QUEUE_FULL = Fault.QUEUE_FULL.value
FAULT_NOT_ALLOWED = Fault.NOT_ALLOWED.value
FAULT_SHUTTING_DOWN = Fault.SHUTTING_DOWN.value
FAULT_BAD_REQUEST = Fault.BAD_REQUEST.value
FAULT_BAD_CONFIG = Fault.BAD_CONFIG.value
FAULT_UNAUTHENTICATED = Fault.UNAUTHENTICATED.value
FAULT_NO_LEADER = Fault.NO_LEADER.value
FAULT_INTERNAL = Fault.INTERNAL.value


def fault_name(code: int) -> str:
    """The name of a fault code; "UNKNOWN" for a code this client does not know."""
    return FAULT_NAMES.get(code, "UNKNOWN")


class LockError(Exception):
    """The lock could not be taken or used: server unreachable, fault, ticket gone."""


class LockTimeout(LockError):
    """The wait for the lock timed out (the lock stayed full)."""


class LockUnreachable(LockError):
    """The server could not be reached or gave no usable HTTP answer."""


class LockNoAnswer(LockUnreachable):
    """No answer came: the connection was refused, reset or closed before an answer, the
    host is unknown or unreachable, or the call timed out. Another node of a cluster may
    answer (failover.py tries the next URL)."""


class LockGone(LockError):
    """The server no longer holds the ticket (released, expired or withdrawn)."""


class LockHttpError(LockError):
    """The server answered with an HTTP status other than 200 (401: credentials refused,
    403: not allowed, 404: wrong path...); ``status`` and ``reason`` are the status line's."""

    def __init__(self, message: str, status: int, reason: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class LockFault(LockError):
    """The server answered with an XML-RPC fault; ``code`` is one of the FAULT_* constants."""

    def __init__(self, message: str, code: int, fault_string: str) -> None:
        super().__init__(message)
        self.code = code
        self.fault_string = fault_string

    @property
    def name(self) -> str:
        return fault_name(self.code)
