"""``python -m eval …``: an alias of ``ipplan eval …`` (run, compare, calibrate, split, gold, bench, load)."""

import sys

from ipplan import main

sys.exit(main(["eval", *sys.argv[1:]]))
