"""The options struct of lock.query and lock.acquire (docs/API.md, "Options struct"):
its member names and the checks lockcli makes before sending one.

A member goes on the wire only when the caller gave it, so that a plain call stays
what older servers accept.
"""

from __future__ import annotations

import numbers
from typing import Any, Dict, Optional

#: highest priority; 0 (the default) is the lowest, higher is granted first
MAX_PRIORITY = 9

# the wire's member names
KEY = "key"
PERMITS = "permits"
EXCLUSIVE = "exclusive"
PRIORITY = "priority"


def _whole(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError("%s must be a whole number, got %r" % (name, value))
    return int(value)


def ticket_options(permits: Optional[int] = None, exclusive: Optional[bool] = None,
                   priority: Optional[int] = None) -> Dict[str, Any]:
    """The options struct (a dict) for the given options; members that are None are left
    out, and so is exclusive=False (the default: nothing to ask). ValueError, naming the argument, for permits < 1, a priority outside 0..MAX_PRIORITY,
    or permits together with exclusive (exclusive takes every slot: there is nothing to count)."""
    options = {}
    if permits is not None:
        permits = _whole("permits", permits)
        if permits < 1:
            raise ValueError("permits must be >= 1, got %d" % permits)
        options[PERMITS] = permits
    if exclusive is not None:
        if not isinstance(exclusive, bool):
            raise ValueError("exclusive must be True or False, got %r" % (exclusive,))
        if exclusive and permits is not None:
            raise ValueError("permits and exclusive do not go together: exclusive takes every slot")
        if exclusive:
            options[EXCLUSIVE] = True
    if priority is not None:
        priority = _whole("priority", priority)
        if not 0 <= priority <= MAX_PRIORITY:
            raise ValueError("priority must be 0 to %d, got %d" % (MAX_PRIORITY, priority))
        options[PRIORITY] = priority
    return options
