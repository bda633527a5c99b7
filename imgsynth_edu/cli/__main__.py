"""``python -m imgsynth_edu.cli ...`` runs the ``imgsynth-edu`` command line."""

import sys

from . import main

sys.exit(main())
