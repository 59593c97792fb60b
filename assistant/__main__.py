"""Run the assistant CLI: ``python -m assistant ask "What must Customs do?"``."""

import sys

from assistant.cli import main

sys.exit(main())
