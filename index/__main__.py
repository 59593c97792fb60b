"""``python -m index …``: an alias of ``ipplan index …`` (parse, build, info, warm, matrix)."""

import sys

from ipplan import main

sys.exit(main(["index", *sys.argv[1:]]))
