"""Lambda SnapStart, emulated: init once, then resume two execution environments from the same memory.

A SnapStart snapshot is the memory of an initialized execution environment; every environment Lambda
resumes from it starts with that memory and then runs the hooks registered with
``snapshot_restore_py`` (before-snapshot hooks in reverse order before the snapshot, after-restore
hooks in order after each restore), as Lambda's Python runtime does. Here ``os.fork`` after init
stands for the snapshot: each child is a resumed copy of the parent's memory (including its open
connection to the simulator and the state of the ``random`` generator). The copies must then draw
their own random numbers and ids, and open their own connections with their own provider tokens
instead of sharing the parent's.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import snapshot_restore_py
from cryptography.hazmat.primitives.asymmetric import ec

from pushgate import deps
from pushgate.credentials.secret_models import IosTokenSecret
from pushgate.ids import new_id
from pushgate.models.mobile_app import MobileApp
from pushgate.models.push import PushRequest, Verdict
from pushgate_local.provision import ProvisionedResources
from pushgate_local.simulator import RunningSimulator
from tests.fakes.apps import stored_app
from tests.provider_keys import BUNDLE_ID, KEY_ID, TEAM_ID, private_pem, public_pem


def _restore_in_child(after_restore: bool, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Forks a copy of this process (a resumed environment), runs the after-restore hooks in it when
    asked, then ``work``; returns what ``work`` returned."""
    read_end, write_end = os.pipe()
    # Python reseeds ``random`` in a forked child (``os.register_at_fork``); a resumed snapshot runs no
    # such handler, so the copy takes back the generator's state as it was in the "snapshot".
    generator_state = random.getstate()
    pid = os.fork()
    if pid == 0:  # the resumed copy
        os.close(read_end)
        random.setstate(generator_state)
        try:
            if after_restore:
                for hook, args, kwargs in snapshot_restore_py.get_after_restore():
                    hook(*args, **kwargs)
            result = work()
        except BaseException as error:  # reported to the parent, whatever it is
            result = {"error": repr(error)}
        os.write(write_end, json.dumps(result).encode())
        os.close(write_end)
        os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    result: dict[str, Any] = json.loads(b"".join(chunks))
    assert "error" not in result, result["error"]
    return result


def _take_snapshot() -> None:
    """What Lambda runs before it snapshots an initialized environment."""
    for hook, args, kwargs in reversed(snapshot_restore_py.get_before_snapshot()):
        hook(*args, **kwargs)


@pytest.fixture
def ios_app(
    aws_env: ProvisionedResources,
    simulator: RunningSimulator,
    apns_key: ec.EllipticCurvePrivateKey,
    monkeypatch: pytest.MonkeyPatch,
) -> MobileApp:
    """An iOS app whose signing key sits in Secrets Manager (moto), sending to the simulator."""
    for name, value in simulator.provider_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECRETS_PREFIX", "pushgate/")
    deps.reset()
    simulator.register_apns_key(TEAM_ID, KEY_ID, public_pem(apns_key))
    secret = IosTokenSecret.model_validate({"signing_key_pem": private_pem(apns_key).decode()})
    secret_id = deps.mobile_app_stores().secrets.create(f"pushgate/{uuid.uuid4().hex}", secret.to_secret_string())
    now = datetime.now(UTC)
    return stored_app(
        str(uuid.uuid4()),
        str(uuid.uuid4()),
        at=now,
        name="Restored",
        secret_id=secret_id,
        bundle_id=BUNDLE_ID,
        team_id=TEAM_ID,
        key_id=KEY_ID,
    )


def _push(app: MobileApp, token: str) -> str:
    result = (
        deps.provider_client_factory()
        .apns_client(app)
        .send(PushRequest(device_token=token, send_id=f"snapstart-{token[:8]}", dry_run=True))
    )
    return result.verdict.value


def test_two_restored_copies_draw_their_own_ids_and_open_their_own_connections(
    ios_app: MobileApp, simulator: RunningSimulator
) -> None:
    # Init, at its warmest: AWS clients built, the secret read, a provider connection open and its
    # token signed. The snapshot holds all of it.
    assert _push(ios_app, "a" * 64) == Verdict.DELIVERED.value
    at_init = simulator.stats()
    assert (at_init["apns_requests"], at_init["token_updates"]) == (1, 1)
    # The object itself, not its id(): held here, it stays alive in each copy, so a factory built
    # after restore cannot reuse its address and compare equal by id() alone.
    factory_at_init = deps.provider_client_factory()
    _take_snapshot()

    def resumed_work(number: int) -> Callable[[], dict[str, Any]]:
        def work() -> dict[str, Any]:
            return {
                "id": new_id(),
                "random": [random.random() for _ in range(4)],
                "same_factory": deps.provider_client_factory() is factory_at_init,
                "verdict": _push(ios_app, f"{number:064x}"),
            }

        return work

    first = _restore_in_child(True, resumed_work(1))
    second = _restore_in_child(True, resumed_work(2))

    assert first["id"] != second["id"]
    assert first["random"] != second["random"]
    assert not first["same_factory"] and not second["same_factory"]
    assert (first["verdict"], second["verdict"]) == (Verdict.DELIVERED.value, Verdict.DELIVERED.value)
    stats = simulator.stats()
    # Each copy opened a connection and signed a provider token of its own: neither wrote on the
    # snapshot's socket (the counters also count the simulator's admin connection, hence the difference).
    assert stats["connections"] - at_init["connections"] == 2
    assert (stats["apns_requests"], stats["token_updates"]) == (3, 3)
    assert {n["token"] for n in simulator.notifications()} == {"a" * 64, f"{1:064x}", f"{2:064x}"}


def test_without_the_hooks_restored_copies_would_draw_the_same_random_numbers() -> None:
    # What the hooks are for: the generator's state is in the snapshot.
    random.random()

    def draw() -> dict[str, Any]:
        return {"random": [random.random() for _ in range(4)]}

    assert _restore_in_child(False, draw) == _restore_in_child(False, draw)
    assert _restore_in_child(True, draw) != _restore_in_child(True, draw)
