"""``python -m assistant …``: an alias of ``ipplan …`` (ask, explain, doctor, brief, settings)."""

import sys

from ipplan import main

sys.exit(main(sys.argv[1:]))
