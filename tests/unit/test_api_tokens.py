"""The access-token check every public route uses, with in-memory repositories."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from pushgate.errors import NotFoundError, UnauthorizedError
from pushgate.models.mobile_app import ApiToken, MobileApp
from pushgate.models.org import Org
from pushgate.services.apps import api_tokens
from pushgate.services.apps.api_tokens import AUTH_CACHE_SECONDS, INVALID_TOKEN_MESSAGE, ApiTokenAuthenticator
from pushgate.services.apps.mobile_apps import MobileAppStores

ORG = str(uuid.uuid4())
OTHER_ORG = str(uuid.uuid4())
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class FakeOrgs:
    def get(self, org_id: str) -> Org | None:
        return Org(org_id=org_id, name="o", created_at=NOW) if org_id in {ORG, OTHER_ORG} else None


class FakeApps:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], MobileApp] = {}

    def add(self, org_id: str) -> MobileApp:
        app = MobileApp(
            org_id=org_id,
            app_id=str(uuid.uuid4()),
            name="a",
            description="",
            ios=None,
            android=None,
            created_at=NOW,
            updated_at=NOW,
        )
        self.items[(org_id, app.app_id)] = app
        return app

    def get(self, org_id: str, app_id: str) -> MobileApp | None:
        return self.items.get((org_id, app_id))


class FakeTokens:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], ApiToken] = {}
        self.touched: list[datetime] = []

    def create(self, token: ApiToken) -> None:
        self.items[(token.org_id, token.app_id, token.token_id)] = token

    def get(self, org_id: str, app_id: str, token_id: str) -> ApiToken | None:
        return self.items.get((org_id, app_id, token_id))

    def list_for_app(self, org_id: str, app_id: str) -> list[ApiToken]:
        return [t for (o, a, _), t in self.items.items() if (o, a) == (org_id, app_id)]

    def delete(self, org_id: str, app_id: str, token_id: str) -> bool:
        return self.items.pop((org_id, app_id, token_id), None) is not None

    def touch(self, token: ApiToken, used_at: datetime) -> None:
        self.touched.append(used_at)
        self.items[(token.org_id, token.app_id, token.token_id)] = token.model_copy(update={"last_used_at": used_at})


class Clock:
    def __init__(self) -> None:
        self.wall = NOW
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


World = tuple[MobileAppStores, "FakeApps", "FakeTokens", "Clock"]


@pytest.fixture
def world() -> World:
    apps, tokens = FakeApps(), FakeTokens()
    stores = MobileAppStores(orgs=FakeOrgs(), apps=apps, tokens=tokens, secrets=None, secret_prefix="t/")  # type: ignore[arg-type]
    return stores, apps, tokens, Clock()


def _authenticator(apps: FakeApps, tokens: FakeTokens, clock: Clock) -> ApiTokenAuthenticator:
    return ApiTokenAuthenticator(tokens=tokens, apps=apps, now=lambda: clock.wall, monotonic=lambda: clock.mono)


def test_issued_token_has_prefix_256_bits_and_only_its_hash_is_stored(world: World) -> None:
    stores, apps, _, clock = world
    app = apps.add(ORG)

    record, token = api_tokens.issue_api_token(ORG, app.app_id, label="ios", stores=stores, now=lambda: clock.wall)

    prefix, token_id, secret = token[:5], token[5:37], token[38:]
    assert (prefix, token_id) == ("pgat_", record.token_id)
    assert len(secret) == 43  # 32 random bytes, base64url
    assert record.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in record.model_dump_json()


def test_authenticate_returns_the_app_and_records_last_use(world: World) -> None:
    stores, apps, tokens, clock = world
    app = apps.add(ORG)
    _, token = api_tokens.issue_api_token(ORG, app.app_id, label="", stores=stores)

    assert _authenticator(apps, tokens, clock).authenticate(ORG.upper(), app.app_id, token) == app
    assert tokens.touched == [clock.wall]


@pytest.mark.parametrize("wrong", ["org", "app", "token-secret", "token-id", "shape", "empty", "bad-org-id"])
def test_every_mismatch_is_the_same_unauthorized(world: World, wrong: str) -> None:
    stores, apps, tokens, clock = world
    app = apps.add(ORG)
    other_app = apps.add(ORG)
    _, token = api_tokens.issue_api_token(ORG, app.app_id, label="", stores=stores)
    org_id, app_id = ORG, app.app_id
    if wrong == "org":
        org_id = OTHER_ORG
    elif wrong == "app":
        app_id = other_app.app_id
    elif wrong == "token-secret":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif wrong == "token-id":
        token = token[:5] + "0" * 32 + token[37:]
    elif wrong == "shape":
        token = "Bearer " + token
    elif wrong == "empty":
        token = ""
    else:
        org_id = "not-a-uuid"

    with pytest.raises(UnauthorizedError) as caught:
        _authenticator(apps, tokens, clock).authenticate(org_id, app_id, token)

    assert caught.value.message == INVALID_TOKEN_MESSAGE


def test_a_deleted_app_closes_its_tokens(world: World) -> None:
    stores, apps, tokens, clock = world
    app = apps.add(ORG)
    _, token = api_tokens.issue_api_token(ORG, app.app_id, label="", stores=stores)
    del apps.items[(ORG, app.app_id)]

    with pytest.raises(UnauthorizedError):
        _authenticator(apps, tokens, clock).authenticate(ORG, app.app_id, token)


def test_revocation_takes_effect_within_the_cache_window(world: World) -> None:
    stores, apps, tokens, clock = world
    app = apps.add(ORG)
    record, token = api_tokens.issue_api_token(ORG, app.app_id, label="", stores=stores)
    authenticator = _authenticator(apps, tokens, clock)
    authenticator.authenticate(ORG, app.app_id, token)

    api_tokens.revoke_api_token(ORG, app.app_id, record.token_id, stores=stores)

    clock.advance(AUTH_CACHE_SECONDS - 1)
    assert authenticator.authenticate(ORG, app.app_id, token) == app  # still cached in this environment
    clock.advance(2)
    with pytest.raises(UnauthorizedError):
        authenticator.authenticate(ORG, app.app_id, token)


def test_last_use_is_written_at_most_every_five_minutes(world: World) -> None:
    stores, apps, tokens, clock = world
    app = apps.add(ORG)
    _, token = api_tokens.issue_api_token(ORG, app.app_id, label="", stores=stores)
    authenticator = _authenticator(apps, tokens, clock)

    for _ in range(12):  # one check a minute for twelve minutes
        authenticator.authenticate(ORG, app.app_id, token)
        clock.advance(60)

    assert len(tokens.touched) == 3


def test_revoking_an_unknown_or_malformed_token_is_404(world: World) -> None:
    stores, apps, _, _ = world
    app = apps.add(ORG)

    with pytest.raises(NotFoundError):
        api_tokens.revoke_api_token(ORG, app.app_id, "0" * 32, stores=stores)
    with pytest.raises(NotFoundError):
        api_tokens.revoke_api_token(ORG, app.app_id, "../x", stores=stores)
