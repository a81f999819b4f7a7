"""The third-party imports the first notification cannot do without, alone in a fresh process (W3).

Usage: ``python -I -S -B bench/drivers/library_floor.py '<json config>'`` with ``layer_dir`` (the
built layer's ``python/``), ``modules`` (the modules to import, in order) and ``spawned_at`` (the
parent's epoch seconds just before it started this process). No Pushgate module is
imported: the figure is what ``deliver_push`` would spend importing its libraries even if its own
code took no time at all. Prints one JSON line: the import's wall and CPU ms, and ms from process
start to the last import done (interpreter start included, as in the first notification's figure).
"""

import importlib
import json
import sys
import time


def main(argv: list[str]) -> int:
    """Imports the modules from the layer and prints the timings in ms."""
    config = json.loads(argv[0])
    sys.path.insert(0, config["layer_dir"])
    started, started_cpu = time.perf_counter(), time.process_time()
    for name in config["modules"]:
        importlib.import_module(name)
    result = {
        "import_ms": (time.perf_counter() - started) * 1000,
        "import_cpu_ms": (time.process_time() - started_cpu) * 1000,
        "process_to_imported_ms": (time.time() - config["spawned_at"]) * 1000,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
