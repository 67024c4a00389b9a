"""``python -m kgen.cli ...`` runs the ``kgen`` command."""

import sys

from kgen.cli import main

sys.exit(main())
