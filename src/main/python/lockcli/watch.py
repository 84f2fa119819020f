"""Following locks with lock.watch: ``lockctl status --watch``.

lock.watch(lock, since, timeout) answers as soon as the lock's version differs from
``since`` ("" at first), or after ``timeout`` seconds with the state as it is.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Dict, Iterable, Optional

#: seconds one lock.watch call may block (the server may cap it lower)
WATCH_WAIT = 30


def follow(ask: Callable[[str, str], Dict[str, Any]], names: Iterable[str],
           show: Callable[[Dict[str, Any]], object], count: Optional[int] = None) -> None:
    """Calls ``show(struct)`` for the first answer of each lock in ``names`` and then for
    each change of its version, in the order they come, from the calling thread.

    ``ask(name, since)``: one lock.watch call (from a thread of its own per lock; what it
    raises ends ``follow``, raised again here). Returns after ``count`` calls of ``show``
    (None: never; KeyboardInterrupt is the way out).
    """
    events = queue.Queue()
    done = threading.Event()

    def watch(name):
        since = ""
        while not done.is_set():
            try:
                state = ask(name, since)
            except BaseException as e:        # handed to the calling thread
                events.put(e)
                return
            version = state.get("version") if isinstance(state, dict) else None
            if not isinstance(version, str) or not version:
                events.put(ValueError("bad answer to lock.watch(%r): %r" % (name, state)))
                return
            if version != since:
                since = version
                events.put(state)

    for name in names:
        threading.Thread(target=watch, args=(name,), name="lockctl-watch-%s" % name, daemon=True).start()
    shown = 0
    try:
        while count is None or shown < count:
            event = events.get()
            if isinstance(event, BaseException):
                raise event
            show(event)
            shown += 1
    finally:
        done.set()          # the threads end after their call under way (daemons: never waited for)
