"""``python3 -m lockcli run [options] [--] COMMAND [ARGS...]``: the lockrun command."""

import sys

from lockcli.lockrun import main

sys.exit(main())
