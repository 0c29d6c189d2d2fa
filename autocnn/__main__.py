"""``python -m autocnn``: the same as the ``autocnn`` command."""

import sys

from autocnn.cli import main

sys.exit(main())
