"""SnapStart hooks: registered with Lambda's ``snapshot_restore_py`` when a handler imports ``pushgate.deps``,
and a no-op where that library is absent (``tests/integration/providers/test_snapstart_restore.py``
emulates a restore)."""

from __future__ import annotations

import subprocess
import sys

import snapshot_restore_py

from pushgate import deps, snapstart


def test_after_a_restore_the_generator_is_reseeded_then_every_cached_adapter_dropped() -> None:
    hooks = [hook for hook, _, _ in snapshot_restore_py.get_after_restore()]

    assert snapstart.reseed_random in hooks
    assert deps.reset in hooks
    assert hooks.index(snapstart.reseed_random) < hooks.index(deps.reset)


def test_without_the_library_registering_does_nothing_and_every_function_still_imports() -> None:
    # Outside Lambda's Python runtimes (the local runtime installs no dev dependencies in a layer).
    code = (
        "import sys; sys.modules['snapshot_restore_py'] = None\n"
        "from pushgate import deps, snapstart\n"
        "snapstart.register_after_restore(deps.reset)\n"
        "print('imported')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)  # noqa: S603

    assert (result.returncode, result.stdout.strip()) == (0, "imported"), result.stderr
