"""Tests of the bash completion of lockctl and lockrun (src/main/bash-completion/lockctl).

A real bash sources the script and runs its completion function with COMP_LINE and
COMP_POINT as readline sets them; the test reads COMPREPLY. The options completed are
compared with the options argparse knows (lockcli.lockctl.make_parser and
lockcli.lockrun.make_parser), both ways, so the two cannot drift apart. Lock names come
from a real server: those tests are skipped unless LOCKSERVER_URL is set (the JUnit test
PythonCompletionTest starts one).

Run:  LOCKSERVER_URL=http://127.0.0.1:PORT/RPC2 python3 -m unittest discover -s src/test/python -p test_completion.py -v
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from client_under_test import LOCKCTL, LOCKRUN  # noqa: E402  (before lockcli)

from lockcli import lockctl, lockrun  # noqa: E402
from lockcli.options import MAX_PRIORITY  # noqa: E402

SCRIPT = os.path.normpath(os.path.join(HERE, "..", "..", "main", "bash-completion", "lockctl"))
URL = os.environ.get("LOCKSERVER_URL", "")

# Sources the script, completes $2 as if the cursor were at its end, prints COMPREPLY.
_COMPLETE = r'''
source "$1" || exit 3
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
command=${COMP_WORDS[0]##*/}
"_$command" 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"
'''


def complete(line):
    """The set of words the completion offers for ``line`` (the cursor at its end)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSERVER_")}
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", _COMPLETE, "bash", SCRIPT, line],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=30, env=env)
    if p.returncode != 0:
        raise AssertionError("bash failed (%d) completing %r: %s" % (p.returncode, line, p.stderr))
    return {w for w in p.stdout.split("\n") if w}


def options(parser):
    """Every option string the parser knows."""
    return {s for action in parser._actions for s in action.option_strings}


def valued(parser):
    """The option strings of the parser's options that take a value."""
    return {s for action in parser._actions if action.option_strings and action.nargs != 0
            for s in action.option_strings}


def subcommands(parser):
    """{name: parser} of the parser's subcommands."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


class LockctlCompletionTest(unittest.TestCase):
    def setUp(self):
        self.parser = lockctl.make_parser()

    def test_first_word_is_one_of_the_commands(self):
        self.assertEqual(complete("lockctl "), set(subcommands(self.parser)))
        self.assertEqual(complete("lockctl re"), {"release", "reload", "revoke"})

    def test_options_before_the_command_are_the_parsers(self):
        self.assertEqual(complete("lockctl -"), options(self.parser))
        self.assertEqual(complete("lockctl --j"), {"--json"})

    def test_options_of_each_command_are_its_parsers(self):
        for name, sub in subcommands(self.parser).items():
            with self.subTest(command=name):
                self.assertEqual(complete("lockctl %s -" % name), options(sub))

    def test_an_option_value_is_not_taken_for_the_command(self):
        for option in options(self.parser):
            line = "lockctl %s%s sta" % (option, " 5" if option in valued(self.parser) else "")
            with self.subTest(line=line):
                self.assertEqual(complete(line), {"status"})
        status = subcommands(self.parser)["status"]
        for option in valued(status):
            with self.subTest(option=option):
                self.assertEqual(complete("lockctl status %s 5 -" % option), options(status))
                if option != "--cafile":        # files: test_cafile_completes_file_names
                    self.assertEqual(complete("lockctl status %s " % option), set())

    def test_cafile_completes_file_names(self):
        with tempfile.TemporaryDirectory() as tmp:
            open(os.path.join(tmp, "ca.pem"), "w").close()
            self.assertEqual(complete("lockctl --cafile %s/c" % tmp), {tmp + "/ca.pem"})
            self.assertEqual(complete("lockrun --cafile %s/c" % tmp), {tmp + "/ca.pem"})


class LockrunCompletionTest(unittest.TestCase):
    def setUp(self):
        self.parser = lockrun.make_parser()

    def test_options_are_the_parsers(self):
        self.assertEqual(complete("lockrun -"), options(self.parser))
        self.assertEqual(complete("lockrun --ex"), {"--exclusive"})

    def test_an_option_value_is_not_taken_for_the_command(self):
        for option in options(self.parser) - {"-h", "--help"}:
            line = "lockrun %s%s -" % (option, " 5" if option in valued(self.parser) else "")
            with self.subTest(line=line):
                self.assertEqual(complete(line), options(self.parser))

    def test_choices_of_on_lost_and_priority(self):
        on_lost = next(a for a in self.parser._actions if "--on-lost" in a.option_strings)
        self.assertEqual(complete("lockrun --on-lost "), set(on_lost.choices))
        self.assertEqual(complete("lockrun --priority "), {str(p) for p in range(MAX_PRIORITY + 1)})

    def test_command_then_its_file_arguments(self):
        self.assertIn("echo", complete("lockrun --lock L ech"))
        self.assertIn("echo", complete("lockrun --wait 5 -- ech"))
        self.assertEqual(complete("lockrun echo -"), set(), "options after COMMAND are COMMAND's")
        self.assertEqual(complete("lockrun -- -"), set(), "after --, no lockrun option")


class LockNameWithColonTest(unittest.TestCase):
    """Names from a stand-in lockctl that lists a lock "db:primary" (no server needed)."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        fake = os.path.join(self.dir, "lockctl")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\necho 'db:primary: size 1, 0 held, 0 queued'\necho 'dbx: size 2, 0 held, 0 queued'\n")
        os.chmod(fake, 0o755)

    def test_a_name_with_a_colon_is_offered_from_after_its_last_colon(self):
        # readline replaces only what follows the last ':' of the word (a COMP_WORDBREAKS character)
        lockctl = os.path.join(self.dir, "lockctl")
        lockrun = os.path.join(self.dir, "lockrun")  # asks the lockctl beside it
        self.assertEqual(complete("%s status db:pri" % lockctl), {"primary"})
        self.assertEqual(complete("%s --lock db:" % lockrun), {"primary"})
        self.assertEqual(complete("%s status d" % lockctl), {"db:primary", "dbx"})


@unittest.skipUnless(URL, "LOCKSERVER_URL is not set: lock names need a running lockserver "
                          "(run by the JUnit test PythonCompletionTest)")
class LockNameCompletionTest(unittest.TestCase):
    def test_lock_names_from_the_server_named_by_url(self):
        self.assertEqual(complete("%s --url %s status Def" % (LOCKCTL, URL)), {"DefaultLock"})
        self.assertEqual(complete("%s --url %s --lock Def" % (LOCKRUN, URL)), {"DefaultLock"})
        self.assertEqual(complete("%s -u %s -l Def" % (LOCKRUN, URL)), {"DefaultLock"})

    def test_no_lock_names_when_no_server_answers(self):
        self.assertEqual(complete("%s --url http://127.0.0.1:9/RPC2 status " % LOCKCTL), set())

    def test_only_the_first_argument_of_status_is_a_lock(self):
        self.assertEqual(complete("%s --url %s status DefaultLock Def" % (LOCKCTL, URL)), set())


if __name__ == "__main__":
    unittest.main()
