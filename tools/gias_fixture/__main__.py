import sys

from tools.gias_fixture.cli import main

sys.exit(main())
