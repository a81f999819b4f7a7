"""``python -m bench`` (``make bench``): every workload, one run; see :mod:`bench.run`."""

import sys

from bench.run import main

# The local runtime of W1 starts function workers with multiprocessing's "spawn", which imports
# this module again in each worker: only the real entry point may run the benchmark.
if __name__ == "__main__":
    sys.exit(main())
