"""``python -m app.cli``: the ``digits`` command without its installed script."""

import sys

from app.cli.main import main

sys.exit(main())
