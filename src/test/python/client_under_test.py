"""Which lockcli the client tests run: the source tree (by default) or an installed one.

By default the package is src/main/python/lockcli, put first on sys.path here, and the
commands are its launchers src/main/python/lockrun and src/main/python/lockctl. With
LOCKCLI_BIN set to a directory holding lockrun and lockctl (a venv's bin with the wheel's
console scripts: PythonWheelTest), the commands are those, the package is the one the
running python has installed, and a lockcli imported from the source tree is an error.
Import this module before lockcli.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.normpath(os.path.join(HERE, "..", "..", "main", "python"))
BIN = os.environ.get("LOCKCLI_BIN", "")
LOCKRUN = os.path.join(BIN or SOURCE, "lockrun")
LOCKCTL = os.path.join(BIN or SOURCE, "lockctl")
#: what a child python's environment needs to import the same lockcli
CHILD_ENV = {} if BIN else {"PYTHONPATH": SOURCE}

if not BIN and SOURCE not in sys.path:
    sys.path.insert(0, SOURCE)

import lockcli  # noqa: E402

if BIN and os.path.realpath(lockcli.__file__).startswith(os.path.realpath(SOURCE) + os.sep):
    raise ImportError("LOCKCLI_BIN=%s is set, but lockcli comes from the source tree (%s): "
                      "take %s off PYTHONPATH" % (BIN, lockcli.__file__, SOURCE))
