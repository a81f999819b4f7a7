"""Entry point for ``python -m bench.providers``."""

import sys

from bench.providers.run import main

sys.exit(main())
