"""One dev stack (the real template.yaml behind the dev server) shared by the e2e tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pushgate_local.runtime import LocalRuntime, RuntimeConfig

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "pgadmin_test_key"


@pytest.fixture(scope="session")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    """The whole local runtime on the project's template, as `make dev` runs it."""
    config = RuntimeConfig(
        project_root=PROJECT_ROOT,
        template_path=PROJECT_ROOT / "template.yaml",
        state_dir=tmp_path_factory.mktemp("dev-stack"),
        admin_key=ADMIN_KEY,
        # Opted in on purpose: the registration-webhook tests run their receivers on this machine.
        allow_loopback_webhooks=True,
    )
    with LocalRuntime(config) as started:
        yield started


@pytest.fixture(scope="session")
def admin(dev_stack: LocalRuntime) -> Iterator[httpx.Client]:
    """An operator's HTTP client (admin key set)."""
    with httpx.Client(base_url=dev_stack.api_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30) as http:
        yield http


@pytest.fixture(scope="session")
def public(dev_stack: LocalRuntime) -> Iterator[httpx.Client]:
    """An app's HTTP client (no admin key)."""
    with httpx.Client(base_url=dev_stack.api_url, timeout=30) as http:
        yield http


@pytest.fixture
def org_id(admin: httpx.Client) -> str:
    """A fresh org for one test."""
    response = admin.post("/admin/v1/orgs", json={"Name": "Test org"})
    assert response.status_code == 201, response.text
    return str(response.json()["OrgId"])


@pytest.fixture(autouse=True)
def no_contract_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a stack test during which the product sent a request that breaks a provider's contract.

    The simulator holds every request to Google's discovery document of FCM v1 and Apple's documented
    APNs keys and headers, and lists what breaks them; whatever a test drives, that list must not grow.
    """
    if "dev_stack" not in request.fixturenames:
        yield
        return
    simulator = request.getfixturevalue("dev_stack").simulator
    before = len(simulator.violations()) if simulator is not None else 0
    yield
    if simulator is not None:
        added = simulator.violations()[before:]
        assert added == [], f"the providers would refuse {len(added)} request(s) the product sent: {added[:3]}"


@pytest.fixture
def clock(dev_stack: LocalRuntime, admin: httpx.Client) -> Iterator[Any]:
    """Moves the local clock (``POST /_local/clock``); puts it back to the real time afterwards."""

    def move(**body: Any) -> dict[str, Any]:
        response = admin.post("/_local/clock", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    yield move
    dev_stack.reset_clock()


@pytest.fixture
def one_second_retry_after(dev_stack: LocalRuntime) -> Iterator[None]:
    """The simulator names a 1 s ``Retry-After`` when it throttles (7 s by default): a test whose devices
    are throttled until their attempts run out waits 4 s, not 28 s, per send."""
    assert dev_stack.simulator is not None
    before = dev_stack.simulator.configure()["retry_after_s"]
    dev_stack.simulator.configure(retry_after_s=1)
    yield
    dev_stack.simulator.configure(retry_after_s=before)
