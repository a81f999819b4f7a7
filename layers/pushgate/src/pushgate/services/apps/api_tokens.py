"""Access tokens (``ApiToken``): issue, list, revoke, and the check every public route uses.

A token reads ``pgat_<tokenId>_<secret>``: the ``pgat_`` prefix lets secret scanners find leaked
tokens; the token id lets one ``GetItem`` find the stored hash; the secret is 256 random bits.
Only the SHA-256 of the whole token is stored, and it is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pushgate.errors import NotFoundError, UnauthorizedError
from pushgate.models.mobile_app import ApiToken, MobileApp
from pushgate.services.apps.mobile_apps import MobileAppStores, find_mobile_app
from pushgate.services.ports import ApiTokenRepository, MobileAppRepository

TOKEN_PREFIX = "pgat_"  # noqa: S105 - the public prefix scanners look for
_TOKEN_SHAPE = re.compile(r"^pgat_(?P<token_id>[0-9a-f]{32})_(?P<secret>[A-Za-z0-9_-]{43})$")
_SECRET_BYTES = 32
#: A revoked token keeps working in an execution environment that cached it for at most this long.
AUTH_CACHE_SECONDS = 30
_AUTH_CACHE_MAX_ENTRIES = 10_000
#: Last-use times are written at most this often per token, so a busy app does not write per request.
LAST_USED_RESOLUTION = timedelta(minutes=5)

INVALID_TOKEN_MESSAGE = "ApiToken is not valid for this organization and mobile app"  # noqa: S105


def _now() -> datetime:
    return datetime.now(UTC)


def token_sha256(api_token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(api_token.encode("utf-8")).hexdigest()


def issue_api_token(
    org_id: str, app_id: str, *, label: str, stores: MobileAppStores, now: Callable[[], datetime] = _now
) -> tuple[ApiToken, str]:
    """Issues a new token for an app; several may be valid at once.

    Returns:
        The stored record and the token itself, which is never available again.
    """
    app = find_mobile_app(org_id, app_id, stores=stores)
    token_id = uuid.uuid4().hex
    api_token = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"
    record = ApiToken(
        org_id=app.org_id,
        app_id=app.app_id,
        token_id=token_id,
        label=label,
        token_sha256=token_sha256(api_token),
        created_at=now(),
    )
    stores.tokens.create(record)
    return record, api_token


def list_api_tokens(org_id: str, app_id: str, *, stores: MobileAppStores) -> list[ApiToken]:
    """The live tokens of an app (ids and labels; never the tokens)."""
    app = find_mobile_app(org_id, app_id, stores=stores)
    return stores.tokens.list_for_app(app.org_id, app.app_id)


def revoke_api_token(org_id: str, app_id: str, token_id: str, *, stores: MobileAppStores) -> None:
    """Revokes a token.

    Raises:
        NotFoundError: No such token for this app.
    """
    app = find_mobile_app(org_id, app_id, stores=stores)
    if not re.fullmatch(r"[0-9a-f]{32}", token_id) or not stores.tokens.delete(app.org_id, app.app_id, token_id):
        raise NotFoundError(message=f"token {token_id} not found for mobile app {app.app_id}")


class ApiTokenAuthenticator:
    """The check ``ApiToken + MobileAppId + orgId → app`` that every public route uses.

    Any mismatch (malformed token, unknown token, a token of another app or org, a deleted app)
    raises the same ``UnauthorizedError`` with the same message, so a caller learns nothing about
    which part was wrong. Successful checks are cached per execution environment for
    ``AUTH_CACHE_SECONDS``; that bounds how long a revoked token keeps working.
    """

    def __init__(
        self,
        *,
        tokens: ApiTokenRepository,
        apps: MobileAppRepository,
        now: Callable[[], datetime] = _now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Builds the check over the token and app repositories."""
        self._tokens = tokens
        self._apps = apps
        self._now = now
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, MobileApp]] = {}

    def authenticate(self, org_id: str, app_id: str, api_token: str) -> MobileApp:
        """Returns the app the token opens.

        Raises:
            UnauthorizedError: The token does not open this app of this org.
        """
        cache_key = token_sha256(f"{org_id.lower()}|{app_id.lower()}|{api_token}")
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] > self._monotonic():
            return cached[1]
        app = self._verify(org_id.lower(), app_id.lower(), api_token)
        if len(self._cache) >= _AUTH_CACHE_MAX_ENTRIES:
            self._cache.clear()
        self._cache[cache_key] = (self._monotonic() + AUTH_CACHE_SECONDS, app)
        return app

    def app_of(self, org_id: str, api_token: str) -> MobileApp:
        """Returns the app the token opens, for the one route that names no app (the 2024 status batch).

        Raises:
            UnauthorizedError: The token opens no app of this org.
        """
        match = _TOKEN_SHAPE.match(api_token)
        record = self._tokens.find_in_org(org_id.lower(), match.group("token_id")) if match else None
        if record is None or not _is_uuid(org_id.lower()):
            raise UnauthorizedError(message=INVALID_TOKEN_MESSAGE)
        return self.authenticate(org_id, record.app_id, api_token)

    def _verify(self, org_id: str, app_id: str, api_token: str) -> MobileApp:
        match = _TOKEN_SHAPE.match(api_token)
        if match is None or not _is_uuid(org_id) or not _is_uuid(app_id):
            raise UnauthorizedError(message=INVALID_TOKEN_MESSAGE)
        record = self._tokens.get(org_id, app_id, match.group("token_id"))
        expected = record.token_sha256 if record is not None else "0" * 64
        if not hmac.compare_digest(token_sha256(api_token), expected) or record is None:
            raise UnauthorizedError(message=INVALID_TOKEN_MESSAGE)
        app = self._apps.get(org_id, app_id)
        if app is None:
            raise UnauthorizedError(message=INVALID_TOKEN_MESSAGE)
        now = self._now()
        if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
            self._tokens.touch(record, now)
        return app


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
