"""Starts the provider simulator once for these tests; every test starts from a reset simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pushgate.config import ProviderSettings, provider_settings
from pushgate_local.simulator import RunningSimulator, start_simulator
from tests.provider_keys import (  # noqa: F401 - fixtures are registered by being imported here
    apns_credentials,
    apns_key,
    rsa_key,
    service_account,
    service_account_json,
)


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    state_dir: Path = tmp_path_factory.mktemp("provider-simulator")
    running = start_simulator(state_dir)
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fresh_simulator(simulator: RunningSimulator) -> RunningSimulator:
    simulator.reset()
    return simulator


@pytest.fixture(scope="session")
def settings(simulator: RunningSimulator) -> ProviderSettings:
    return provider_settings(simulator.provider_environment())
