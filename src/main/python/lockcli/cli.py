"""What the lockrun and lockctl commands share: exit statuses, usage errors, one-line messages."""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Any, Callable, NoReturn, Optional, Tuple, TypeVar

T = TypeVar("T")

# exit statuses (sysexits.h, and the shell's 126/127)
EX_OK = 0
EX_FAIL = 1             # lockctl: the server refused the call, or found nothing to act on
EX_USAGE = 64
EX_UNAVAILABLE = 69     # the server cannot be reached, refuses, or gave no usable answer
EX_SOFTWARE = 70        # internal error
EX_TEMPFAIL = 75        # lockrun: timed out waiting for the lock
EX_LOST = 76            # lockrun: the slot was lost while COMMAND ran, and lockrun stopped COMMAND
EX_NOEXEC = 126         # lockrun: COMMAND found but cannot be executed
EX_NOTFOUND = 127       # lockrun: COMMAND not found


class UsageError(Exception):
    """Bad usage: printed as one line naming the argument, exit EX_USAGE."""


class ArgumentParser(argparse.ArgumentParser):
    """An argparse parser that raises UsageError instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)

    def exit(self, status: int = 0, message: Optional[str] = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise SystemExit(status)


def say(prog: str, message: object) -> None:
    """``prog: message`` as one line on stderr; never raises."""
    try:
        sys.stderr.write("%s: %s\n" % (prog, message))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not a number of seconds: %r" % text)


def seconds(text: str) -> float:
    """argparse type: a number of seconds >= 0 (inf allowed)."""
    value = _number(text)
    if math.isnan(value) or value < 0:
        raise argparse.ArgumentTypeError("must be >= 0 seconds: %r" % text)
    return value


def positive_seconds(text: str) -> float:
    """argparse type: a finite number of seconds > 0."""
    value = _number(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError("must be > 0 seconds: %r" % text)
    return value


def whole(low: int, high: Optional[int] = None) -> Callable[[str], int]:
    """argparse type: a whole number from ``low`` to ``high`` (None: no bound)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError("not a whole number: %r" % text)
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(
                ("must be >= %d: %r" % (low, text)) if high is None else
                ("must be %d to %d: %r" % (low, high, text)))
        return value
    return parse


def setting(given: Optional[str], option: str, variable: str,
            default: Optional[str] = None) -> Tuple[Optional[str], str]:
    """(value, source) of an option that an environment variable may stand in for;
    ``source`` names where the value came from, for messages ("--url", "$LOCKSERVER_URL")."""
    if given:
        return given, option
    if os.environ.get(variable):
        return os.environ[variable], "$" + variable
    return default, option


def checked(source: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)``; its ValueError as a UsageError naming ``source``."""
    try:
        return function(*args, **kwargs)
    except ValueError as e:
        raise UsageError("%s: %s" % (source, e))
