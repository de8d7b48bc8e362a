"""`python -m rollwatch`: the command line."""

import sys

from rollwatch.app.cli import main

sys.exit(main())
