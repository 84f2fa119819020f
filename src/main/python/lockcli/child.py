"""lockrun's COMMAND as a child process: its process group, the signals it gets, and
stopping it (a signal now, SIGKILL later if it still runs)."""

import os
import signal
import subprocess
import sys
import threading


def in_terminal_foreground():
    """True when this process's group is the foreground group of its controlling terminal
    (a command typed at a shell prompt, or a script run from one)."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return False                    # no controlling terminal: cron, systemd, ssh without -t
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


class Child:
    """COMMAND, started at once; raises what ``subprocess.Popen`` raises.

    Process group: COMMAND leads a process group of its own, so that a signal from lockrun
    reaches what COMMAND started too (``sh -c 'a; b'`` and its running ``a``), but none of
    the processes around lockrun (the shell script that runs it). Except in the foreground
    of a terminal (``own_group`` False): there COMMAND stays in lockrun's group, which the
    terminal's keys reach anyway and which may read the terminal (a password prompt), and
    lockrun's signals go to COMMAND alone.

    ``signal`` and ``stop`` may be called from any thread and from a signal handler; ``wait``
    from the thread that started COMMAND.
    """

    def __init__(self, command, env):
        self.own_group = not in_terminal_foreground()
        group = {}
        if self.own_group:
            if sys.version_info >= (3, 11):
                group["process_group"] = 0
            else:
                group["preexec_fn"] = os.setpgrp      # lockrun has no other thread yet
        self.proc = subprocess.Popen(command, env=env, **group)
        self.stopped = False            # stop() sent a signal to a running COMMAND
        self._mutex = threading.Lock()  # guards stopped and _killer
        self._killer = None

    @property
    def pid(self):
        return self.proc.pid

    def signal(self, signum):
        """Sends ``signum`` to COMMAND's process group (or to COMMAND alone, see the class);
        False if COMMAND has ended."""
        if self.proc.poll() is not None:    # None also while wait() is under way in another thread
            return False
        try:
            if self.own_group:
                os.killpg(self.proc.pid, signum)
            else:
                self.proc.send_signal(signum)
        except OSError:
            return False
        return True

    def stop(self, signum, kill_after):
        """Sends ``signum`` (SIGTERM, or SIGKILL) now and SIGKILL after ``kill_after`` seconds
        if COMMAND still runs then; True if COMMAND was running."""
        sent = self.signal(signum)
        with self._mutex:
            self.stopped = self.stopped or sent
            if sent and signum != signal.SIGKILL and self._killer is None:
                self._killer = threading.Timer(kill_after, self.signal, (signal.SIGKILL,))
                self._killer.daemon = True
                self._killer.start()
        return sent

    def wait(self):
        """COMMAND's exit status once it ends (128+N when it died of signal N)."""
        rc = self.proc.wait()
        with self._mutex:
            if self._killer is not None:
                self._killer.cancel()
        return rc if rc >= 0 else 128 - rc
