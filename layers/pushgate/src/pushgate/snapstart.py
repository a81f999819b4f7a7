"""Lambda SnapStart: what execution environments resumed from one snapshot must not share.

With SnapStart on (template parameter ``SnapStart``), Lambda runs a function's init once, when a
version is published, snapshots the initialized execution environment, and resumes every new
execution environment of that version from the snapshot. Whatever init left in memory is then
shared by all of them, and some of it must not be:

* the state of the ``random`` module's generator, seeded once at interpreter start: every resumed
  environment would draw the same sequence (the delivery retries' jitter). ``uuid.uuid4`` and
  ``secrets`` read the kernel's generator on every call and need nothing;
* everything ``pushgate.deps`` caches: AWS clients and the credentials their session resolved
  (temporary, and the snapshot may be days old), provider clients with their HTTP/2 connections
  (sockets of the environment that was snapshotted), APNs provider tokens and FCM access tokens.
  All are built lazily, but a function may build them during init to resume warmer.

After a restore, the generator is reseeded from the kernel's entropy and the caches are dropped, so
the first invocation builds each adapter again in the resumed environment. The hooks are registered
with ``snapshot_restore_py``, which Lambda's Python runtimes include and run; where it is absent
(the local runtime without the dev dependencies), registering does nothing, and nothing calls the
hooks but a test.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

try:
    from snapshot_restore_py import register_after_restore as _register_after_restore
except ImportError:  # outside Lambda's Python runtimes: no snapshot will ever be restored

    def _register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return func


def reseed_random() -> None:
    """Reseeds the ``random`` module's shared generator from the kernel (``os.urandom``)."""
    random.seed()


def register_after_restore(hook: Callable[[], None]) -> None:
    """Runs ``hook`` in every execution environment Lambda resumes from a snapshot, after the ones
    registered before it."""
    _register_after_restore(hook)


register_after_restore(reseed_random)
