"""Mobile app configurations: create, read, list, change, delete, and live credential checks.

Credentials are validated in full before anything is written. Each save writes the secret parts
to Secrets Manager under a fresh name and then the configuration (metadata and the secret's id)
to DynamoDB; if the second write fails the new secrets are deleted again, and secrets an update
replaced are deleted only after the configuration points away from them. So a failed create or
update leaves nothing behind, and a reader never sees a configuration whose secret is gone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Protocol

from pushgate.credentials.inputs import (
    AndroidCredentialsInput,
    IosCertificateCredentialsInput,
    IosTokenCredentialsInput,
)
from pushgate.credentials.metadata import FcmServiceAccountMetadata
from pushgate.errors import InvalidRequestError, PushgateError
from pushgate.ids import new_id
from pushgate.models.device import DevicePlatform
from pushgate.models.mobile_app import AndroidPlatform, CheckStatus, CredentialCheck, IosPlatform, MobileApp
from pushgate.observability import logger
from pushgate.services.apps.orgs import find_in_org, get_org
from pushgate.services.ports import ApiTokenRepository, MobileAppRepository, OrgRepository, SecretStore

#: Apps read per page where every app of an org is needed (an org has few).
_APPS_PAGE: Final = 100
UNCHECKED = CredentialCheck(status=CheckStatus.UNCHECKED, reason="saved; not yet confirmed with the provider")


@dataclass(frozen=True)
class MobileAppStores:
    """The ports the mobile app use cases work with.

    Attributes:
        orgs: Orgs (every route checks its org first).
        apps: Configurations.
        tokens: Access tokens.
        secrets: Provider credentials.
        secret_prefix: Prefix of secret names (the stack name, so stacks in one account never collide).
    """

    orgs: OrgRepository
    apps: MobileAppRepository
    tokens: ApiTokenRepository
    secrets: SecretStore
    secret_prefix: str


class CredentialChecker(Protocol):
    """Asks the providers whether an app's stored credentials work (the live check)."""

    def check(self, app: MobileApp) -> dict[str, CredentialCheck]:
        """Checks each platform the app has; keys are ``Ios`` and ``Android``."""


class ParkedJobResumer(Protocol):
    """Puts delivery jobs parked on an app platform's failed credentials back in the delivery queue."""

    def resume(self, org_id: str, app_id: str, platform: DevicePlatform) -> int:
        """Re-enqueues the app's jobs parked for ``platform``; returns how many devices went back."""


IosInput = IosTokenCredentialsInput | IosCertificateCredentialsInput


def _now() -> datetime:
    return datetime.now(UTC)


def find_mobile_app(org_id: str, app_id: str, *, stores: MobileAppStores) -> MobileApp:
    """Finds an app of an org.

    Raises:
        InvalidRequestError: An id is not a UUID.
        NotFoundError: No such org, or no such app in this org (another org's app included).
    """
    return find_in_org(org_id, app_id, orgs=stores.orgs, get=stores.apps.get, what="mobile app", id_field="MobileAppId")


class _SecretWrites:
    """Secrets written during one save, so a failed save can take them back."""

    def __init__(self, stores: MobileAppStores, org_id: str, app_id: str) -> None:
        self._stores = stores
        self._base = f"{stores.secret_prefix}{org_id}/{app_id}"
        self.written: list[str] = []

    def write(self, platform: str, secret_string: str) -> str:
        # A fresh name per save: caches keyed by secret id can never serve an old credential.
        secret_id = self._stores.secrets.create(f"{self._base}/{platform}-{uuid.uuid4().hex[:12]}", secret_string)
        self.written.append(secret_id)
        return secret_id

    def roll_back(self) -> None:
        for secret_id in self.written:
            self._stores.secrets.delete(secret_id)


def _ios_platform(credentials: IosInput, metadata: object, writes: _SecretWrites) -> IosPlatform:
    secret_id = writes.write("ios", credentials.to_secret().to_secret_string())
    return IosPlatform.model_validate({"metadata": metadata, "secret_id": secret_id, "check": UNCHECKED})


def _android_platform(
    credentials: AndroidCredentialsInput, metadata: FcmServiceAccountMetadata, writes: _SecretWrites
) -> AndroidPlatform:
    secret_id = writes.write("android", credentials.to_secret().to_secret_string())
    return AndroidPlatform(metadata=metadata, secret_id=secret_id, check=UNCHECKED)


def create_mobile_app(
    org_id: str,
    *,
    name: str,
    description: str,
    ios: IosInput | None,
    android: AndroidCredentialsInput | None,
    stores: MobileAppStores,
    user_resolve_enabled: bool = True,
    now: Callable[[], datetime] = _now,
    make_id: Callable[[], str] = new_id,
) -> MobileApp:
    """Creates a configuration after validating its credentials.

    Raises:
        InvalidRequestError: No platform, or credential problems (all of them, by field).
        NotFoundError: No such org.
    """
    org = get_org(org_id, orgs=stores.orgs)
    if ios is None and android is None:
        raise InvalidRequestError.for_field("Ios", "at least one platform is required: send Ios, Android or both")
    created_at = now()
    # The checks read keys and certificates with cryptography: imported by the routes that save them only.
    from pushgate.credentials.validation import validate_mobile_app_credentials  # noqa: PLC0415

    metadata = validate_mobile_app_credentials(ios, android, now=created_at)
    app_id = make_id()
    writes = _SecretWrites(stores, org.org_id, app_id)
    try:
        app = MobileApp(
            org_id=org.org_id,
            app_id=app_id,
            name=name,
            description=description,
            ios=_ios_platform(ios, metadata.ios, writes) if ios is not None else None,
            android=_android_platform(android, metadata.android, writes) if android and metadata.android else None,
            created_at=created_at,
            updated_at=created_at,
            user_resolve_enabled=user_resolve_enabled,
        )
        stores.apps.create(app)
    except BaseException:
        writes.roll_back()
        raise
    return app


def update_mobile_app(
    org_id: str,
    app_id: str,
    *,
    changes: set[str],
    name: str | None,
    description: str | None,
    ios: IosInput | None,
    android: AndroidCredentialsInput | None,
    stores: MobileAppStores,
    user_resolve_enabled: bool | None = None,
    now: Callable[[], datetime] = _now,
    resumer: ParkedJobResumer | None = None,
) -> MobileApp:
    """Changes what the request sent: name, description, or one platform's credentials.

    Sending a platform replaces its credentials (switching auth mode in place is the same
    operation); sending it as ``null`` removes that platform. Deliveries parked because the
    replaced credentials failed go back to the delivery queue.

    Args:
        org_id: Owner org.
        app_id: The app.
        changes: The request fields that were sent (``Name``, ``Ios``, ...); absent ones stay.
        name: New name, when sent.
        description: New description, when sent.
        ios: New iOS credentials, or ``None`` (with ``Ios`` in ``changes``: remove).
        android: New Android credentials, or ``None`` (with ``Android`` in ``changes``: remove).
        stores: The ports.
        user_resolve_enabled: New setting of the public user-resolve route, when sent.
        now: Clock.
        resumer: Resumes parked deliveries of the platforms whose credentials were replaced.

    Returns:
        The updated configuration.

    Raises:
        InvalidRequestError: Nothing to change, null name, both platforms gone, credential problems.
        NotFoundError: No such org or app.
        ConflictError: The configuration changed concurrently; nothing was changed.
    """
    current = find_mobile_app(org_id, app_id, stores=stores)
    if not changes:
        raise InvalidRequestError.for_field("body", "names nothing to change: send Name, Description, Ios or Android")
    for request_field, model_field, value in (
        ("Name", "name", name),
        ("UserResolveEnabled", "user_resolve_enabled", user_resolve_enabled),
    ):
        if model_field in changes and value is None:
            raise InvalidRequestError.for_field(request_field, "cannot be null")
    updated_at = now()
    new_ios = ios if "ios" in changes else None
    new_android = android if "android" in changes else None
    # The checks read keys and certificates with cryptography: imported by the routes that save them only.
    from pushgate.credentials.validation import validate_mobile_app_credentials  # noqa: PLC0415

    metadata = validate_mobile_app_credentials(new_ios, new_android, now=updated_at)
    ios_platform = None if "ios" in changes else current.ios
    android_platform = None if "android" in changes else current.android
    if ios_platform is None and android_platform is None and new_ios is None and new_android is None:
        raise InvalidRequestError.for_field("Ios", "a configuration keeps at least one platform")
    writes = _SecretWrites(stores, current.org_id, current.app_id)
    try:
        if new_ios is not None:
            ios_platform = _ios_platform(new_ios, metadata.ios, writes)
        if new_android is not None and metadata.android is not None:
            android_platform = _android_platform(new_android, metadata.android, writes)
        updated = current.model_copy(
            update={
                "name": name if name is not None else current.name,
                "description": description if description is not None else current.description,
                "ios": ios_platform,
                "android": android_platform,
                "updated_at": updated_at,
                "revision": current.revision + 1,
                "user_resolve_enabled": current.user_resolve_enabled
                if user_resolve_enabled is None
                else user_resolve_enabled,
            }
        )
        stores.apps.replace(updated, expected_revision=current.revision)
    except BaseException:
        writes.roll_back()
        raise
    for previous, kept in ((current.ios, updated.ios), (current.android, updated.android)):
        if previous is not None and (kept is None or kept.secret_id != previous.secret_id):
            stores.secrets.delete(previous.secret_id)
    replaced = [
        platform
        for platform, previous, kept in (
            (DevicePlatform.IOS, current.ios, updated.ios),
            (DevicePlatform.ANDROID, current.android, updated.android),
        )
        if kept is not None and (previous is None or kept.secret_id != previous.secret_id)
    ]
    _resume_parked(updated, replaced, resumer)
    return updated


def list_mobile_apps(
    org_id: str, *, limit: int, next_token: str | None, stores: MobileAppStores
) -> tuple[list[MobileApp], str | None]:
    """One page of an org's configurations."""
    org = get_org(org_id, orgs=stores.orgs)
    return stores.apps.list_page(org.org_id, limit=limit, next_token=next_token)


def every_app(org_id: str, apps: MobileAppRepository) -> list[MobileApp]:
    """Every app of an org, across pages."""
    found: list[MobileApp] = []
    next_token: str | None = None
    while True:
        page, next_token = apps.list_page(org_id, limit=_APPS_PAGE, next_token=next_token)
        found.extend(page)
        if next_token is None:
            return found


def delete_mobile_app(org_id: str, app_id: str, *, stores: MobileAppStores) -> None:
    """Deletes a configuration, its access tokens, and its secrets."""
    app = find_mobile_app(org_id, app_id, stores=stores)
    stores.apps.delete(app.org_id, app.app_id)
    for platform in (app.ios, app.android):
        if platform is not None:
            stores.secrets.delete(platform.secret_id)


def check_credentials(
    org_id: str,
    app_id: str,
    *,
    checker: CredentialChecker,
    stores: MobileAppStores,
    resumer: ParkedJobResumer | None = None,
) -> MobileApp:
    """Runs the live check against the providers and records what it found.

    A platform found ``Valid`` gets its parked deliveries back in the delivery queue (``resumer``).

    Raises:
        NotFoundError: No such org or app.
        ConflictError: The configuration changed while it was being checked.
    """
    app = find_mobile_app(org_id, app_id, stores=stores)
    checks = checker.check(app)
    update: dict[str, object] = {"revision": app.revision + 1}
    if app.ios is not None and "Ios" in checks:
        update["ios"] = app.ios.model_copy(update={"check": checks["Ios"]})
    if app.android is not None and "Android" in checks:
        update["android"] = app.android.model_copy(update={"check": checks["Android"]})
    checked = app.model_copy(update=update)
    stores.apps.replace(checked, expected_revision=app.revision)
    valid = [
        platform
        for platform, key in ((DevicePlatform.IOS, "Ios"), (DevicePlatform.ANDROID, "Android"))
        if key in checks and checks[key].status is CheckStatus.VALID
    ]
    _resume_parked(checked, valid, resumer)
    return checked


def _resume_parked(app: MobileApp, platforms: list[DevicePlatform], resumer: ParkedJobResumer | None) -> None:
    """Resumes the platforms' parked deliveries after the configuration change is stored.

    The change stands whatever happens here: a queue or table failure is logged and leaves the
    jobs parked, for the next change, the next valid check or ``POST .../sends/parked/resume``.
    """
    if resumer is None:
        return
    for platform in platforms:
        try:
            resumed = resumer.resume(app.org_id, app.app_id, platform)
        except PushgateError as error:
            logger.warning(
                "parked deliveries not resumed",
                extra={"app_id": app.app_id, "platform": platform.value, "error_type": type(error).__name__},
            )
            continue
        if resumed:
            logger.info(
                "parked deliveries resumed",
                extra={"app_id": app.app_id, "platform": platform.value, "devices": resumed},
            )
