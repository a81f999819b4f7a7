"""Device registration as the public API sees it: accept (v2), store now (v1), status, cleanup.

The API never writes to DynamoDB for a request it rejects: bodies are checked and every
``ApiToken`` is authenticated (reads only) before anything is enqueued or stored, so a flood of
bad tokens costs reads at most, as CI-J promises ("no registration history" for invalid tokens).
v2 registrations are enqueued for the verification worker; only the worker writes devices and
outcomes. v1 stores synchronously, without a dry run.

Apps register at every launch, so most registrations repeat one made hours before. A repeat the
read of the device finds fresh (``is_fresh_registration``: same user, app and token, ``Active``,
registered within a day) writes nothing: v1 answers as before, v2 enqueues it only when someone
waits for its ``DuplicateExists`` (tracking or a webhook), and the worker then reports it without
touching the device. The stale sweep's due time thus moves at most once a day.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aws_lambda_powertools.metrics import MetricUnit

from pushgate.credentials.inputs import AppMode
from pushgate.errors import ConflictError, InvalidRequestError, UnauthorizedError
from pushgate.models.device import (
    Device,
    DevicePlatform,
    DeviceRef,
    DeviceStatus,
    DeviceTransition,
    FailureReason,
    RegistrationJob,
    RegistrationOutcome,
    bounded_history,
    is_fresh_registration,
    normalize_token,
    token_is_too_long,
    token_shape_problem,
)
from pushgate.models.mobile_app import MobileApp
from pushgate.models.token_lifecycle import CleanupReason
from pushgate.observability import logger, metrics
from pushgate.services.apps.api_tokens import INVALID_TOKEN_MESSAGE, ApiTokenAuthenticator
from pushgate.services.apps.mobile_apps import MobileAppStores, find_mobile_app
from pushgate.services.devices.ports import DeviceRepository, RegistrationQueue, RegistrationStatusRepository

#: CI-J: batch registration and batch cleanup take at most 100 items; so does the status query.
MAX_BATCH_ITEMS = 100
#: Optimistic retries when a concurrent registration of the same token wins the transaction.
STORE_ATTEMPTS = 3


def _now() -> datetime:
    return datetime.now(UTC)


def token_sha256(token: str) -> str:
    """The hash of a device token that keys its items (tokens never appear in keys)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RegistrationItem:
    """One device to register, as read from a request.

    Attributes:
        field_prefix: Where the item sits in the request (``""`` or ``"[3]."``), for error paths.
        app_id: The ``MobileAppId`` (lower case).
        user_id: The directory id.
        api_token: The ``ApiToken``.
        platform: Which provider.
        token: The device token, normalised.
        token_field: Name of the token field as sent (``ApnsDeviceToken``...), for error paths.
    """

    field_prefix: str
    app_id: str
    user_id: str
    api_token: str
    platform: DevicePlatform
    token: str
    token_field: str


@dataclass(frozen=True)
class RegistrationOptions:
    """The optional CI-J headers of a v2 registration.

    Attributes:
        track: ``x-ms-track-registration: true``.
        callback_url: ``x-ms-callback-url`` (or ``x-ms-status-callback-url``).
        callback_headers: ``x-ms-callback-url-headers``, parsed.
    """

    track: bool = False
    callback_url: str | None = None
    callback_headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CleanupItem:
    """One deregistration: all of a user's devices for the app, or one token.

    Attributes:
        field_prefix: Where the item sits in the request, for error paths.
        app_id: The ``MobileAppId``.
        user_id: The directory id.
        api_token: The ``ApiToken``.
        device_token: The token to remove; ``None`` removes every device of the user for the app.
    """

    field_prefix: str
    app_id: str
    user_id: str
    api_token: str
    device_token: str | None = None


def authenticate(
    authenticator: ApiTokenAuthenticator, org_id: str, app_id: str | None, api_token: str, *, field_prefix: str = ""
) -> MobileApp:
    """The public routes' check, answered as CI-J does: a 400 naming ``ApiToken`` (never which part was wrong).

    ``app_id`` ``None`` (the 2024 status batch names no app) means the app the token opens.

    Raises:
        InvalidRequestError: The token does not open this app of this org.
    """
    try:
        if app_id is None:
            return authenticator.app_of(org_id, api_token)
        return authenticator.authenticate(org_id, app_id, api_token)
    except UnauthorizedError:
        raise InvalidRequestError.for_field(f"{field_prefix}ApiToken", INVALID_TOKEN_MESSAGE) from None


def _require_platform(app: MobileApp, item: RegistrationItem) -> None:
    if item.platform is DevicePlatform.IOS and app.ios is None:
        raise InvalidRequestError.for_field(
            f"{item.field_prefix}{item.token_field}", "the mobile app has no iOS (APNs) configuration"
        )
    if item.platform is DevicePlatform.ANDROID and app.android is None:
        raise InvalidRequestError.for_field(
            f"{item.field_prefix}{item.token_field}", "the mobile app has no Android (FCM) configuration"
        )


def app_mode_of(app: MobileApp, platform: DevicePlatform) -> AppMode | None:
    """The APNs environment a device of ``platform`` is sent through (``None`` for FCM)."""
    return app.ios.metadata.app_mode if platform is DevicePlatform.IOS and app.ios is not None else None


def accept_registrations(
    org_id: str,
    items: Sequence[RegistrationItem],
    *,
    options: RegistrationOptions,
    authenticator: ApiTokenAuthenticator,
    queue: RegistrationQueue,
    devices: DeviceRepository,
    now: Callable[[], datetime] = _now,
    new_request_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> list[str]:
    """Checks every item, then enqueues them for verification (v2, single and batch).

    The items' devices are read first (one batched read): a fresh repeat is enqueued only when
    tracking or a webhook waits for its ``DuplicateExists``, marked so the worker reads nothing.

    Returns:
        The ``RegistrationRequestId`` of each item, in order.

    Raises:
        InvalidRequestError: An item's ApiToken does not open its app, or the app lacks the
            item's platform; nothing is enqueued.
        DependencyError: The queue did not take them, or the devices could not be read.
    """
    accepted_at = now()
    apps = []
    for item in items:
        app = authenticate(authenticator, org_id, item.app_id, item.api_token, field_prefix=item.field_prefix)
        _require_platform(app, item)
        apps.append(app)
    keys = [
        (app.org_id, app.app_id, item.user_id, item.platform, token_sha256(item.token))
        for app, item in zip(apps, items, strict=True)
    ]
    found = {(d.app_id, d.user_id, d.platform, d.token_sha256): d for d in devices.get_many(keys)}
    reported = options.track or options.callback_url is not None
    request_ids = []
    jobs = []
    for app, item, (_, _, user_id, platform, sha) in zip(apps, items, keys, strict=True):
        request_id = new_request_id()
        request_ids.append(request_id)
        fresh = is_fresh_registration(
            found.get((app.app_id, user_id, platform, sha)), app_mode=app_mode_of(app, platform), now=accepted_at
        )
        if fresh and not reported:
            # Nobody waits for this outcome (CI-J keeps untracked ones Pending for ever) and the
            # device is as it should be: nothing to do.
            continue
        jobs.append(
            RegistrationJob(
                request_id=request_id,
                org_id=app.org_id,
                app_id=app.app_id,
                user_id=item.user_id,
                platform=item.platform,
                token=item.token,
                track=options.track,
                callback_url=options.callback_url,
                callback_headers=options.callback_headers,
                # The HMAC key of the webhook travels only when there is a webhook to sign.
                api_token=item.api_token if options.callback_url else None,
                accepted_at=accepted_at,
                fresh_repeat=fresh,
            )
        )
    if jobs:
        queue.send(jobs)
    if len(jobs) < len(items):
        metrics.add_metric(name="RegistrationsFreshRepeats", unit=MetricUnit.Count, value=len(items) - len(jobs))
    return request_ids


def store_device(
    devices: DeviceRepository,
    app: MobileApp,
    *,
    user_id: str,
    platform: DevicePlatform,
    token: str,
    request_id: str,
    now: datetime,
    existing: Device | None = None,
) -> bool:
    """Stores a device under a user and makes the user the token's owner (moving it from another user).

    The device is ``Active`` afterwards: an ``Invalid`` or ``Stale`` device of the same user is
    reactivated (the transition joins its history), which is how an app revives a token the
    cleanup would otherwise purge.

    Returns:
        Whether an ``Invalid`` or ``Stale`` device was reactivated.

    Raises:
        ConflictError: Concurrent registrations of the token kept winning; nothing was written.
        DependencyError: DynamoDB failed.
    """
    sha = token_sha256(token)
    app_mode = app_mode_of(app, platform)
    for attempt in range(STORE_ATTEMPTS):
        owner = devices.owner_of(app.org_id, app.app_id, platform, sha)
        same_device = existing is not None and owner == user_id
        registered_at = existing.registered_at if existing is not None and same_device else now
        history, reactivated = _history_after_registration(existing if same_device else None, now)
        device = Device(
            org_id=app.org_id,
            app_id=app.app_id,
            user_id=user_id,
            platform=platform,
            token=token,
            token_sha256=sha,
            app_mode=app_mode,
            status=DeviceStatus.ACTIVE,
            registered_at=registered_at,
            last_registered_at=now,
            status_changed_at=now,
            last_request_id=request_id,
            history=history,
        )
        try:
            devices.save(device, expected_owner=owner)
        except ConflictError:
            if attempt == STORE_ATTEMPTS - 1:
                raise
            continue
        if reactivated and existing is not None:
            logger.info(
                "device reactivated by a new registration",
                extra={"app_id": app.app_id, "platform": platform.value, "previous_status": existing.status.value},
            )
            metrics.add_metric(name="TokensReactivated", unit=MetricUnit.Count, value=1)
        return reactivated
    return False


def _history_after_registration(existing: Device | None, now: datetime) -> tuple[tuple[DeviceTransition, ...], bool]:
    """The history a (re-)registered device carries, and whether the registration reactivated it."""
    if existing is None:
        first = DeviceTransition(to_status=DeviceStatus.ACTIVE, at=now, reason=CleanupReason.REGISTERED.value)
        return (first,), False
    if existing.status is DeviceStatus.ACTIVE:
        return existing.history, False
    again = DeviceTransition(
        from_status=existing.status, to_status=DeviceStatus.ACTIVE, at=now, reason=CleanupReason.REGISTERED_AGAIN.value
    )
    return bounded_history(existing.history, again), True


def register_now(
    org_id: str,
    item: RegistrationItem,
    *,
    authenticator: ApiTokenAuthenticator,
    devices: DeviceRepository,
    now: Callable[[], datetime] = _now,
) -> RegistrationOutcome:
    """The v1 registration: checks and stores synchronously (no dry run; the first send judges the token).

    Returns:
        ``Success``, or ``Failed``/``DuplicateExists`` when the user already had the token (refreshed
        unless fresh; the route answers 200 either way).

    Raises:
        InvalidRequestError: Bad ApiToken, platform missing, or the token is too long.
    """
    app = authenticate(authenticator, org_id, item.app_id, item.api_token)
    _require_platform(app, item)
    if token_is_too_long(item.platform, item.token):
        raise InvalidRequestError.for_field(item.token_field, "is too long (DeviceTokenTooLong)")
    at = now()
    request_id = str(uuid.uuid4())
    sha = token_sha256(item.token)
    existing = devices.get(app.org_id, app.app_id, item.user_id, item.platform, sha)
    app_mode = app_mode_of(app, item.platform)
    if is_fresh_registration(existing, app_mode=app_mode, now=at):
        return RegistrationOutcome.failed(FailureReason.DUPLICATE_EXISTS)
    if existing is not None and devices.refresh(
        DeviceRef(app.org_id, app.app_id, item.user_id, item.platform, sha),
        at=at,
        request_id=request_id,
        app_mode=app_mode,
    ):
        return RegistrationOutcome.failed(FailureReason.DUPLICATE_EXISTS)
    store_device(
        devices,
        app,
        user_id=item.user_id,
        platform=item.platform,
        token=item.token,
        request_id=request_id,
        now=at,
        existing=existing,
    )
    return RegistrationOutcome.success()


def registration_statuses(
    org_id: str,
    app_id: str,
    api_token: str,
    request_ids: Sequence[str],
    *,
    authenticator: ApiTokenAuthenticator,
    statuses: RegistrationStatusRepository,
) -> list[RegistrationOutcome | None]:
    """The outcome of each request id, in order; ``None`` means still ``Pending`` (or unknown, as in CI-J).

    Raises:
        InvalidRequestError: The ApiToken does not open the app.
    """
    app = authenticate(authenticator, org_id, app_id, api_token)
    found = statuses.get_many(app.org_id, app.app_id, [rid.lower() for rid in request_ids])
    return [found[rid.lower()].outcome if rid.lower() in found else None for rid in request_ids]


def registration_statuses_by_token(
    org_id: str,
    queries: Sequence[tuple[str, str, str | None]],
    *,
    authenticator: ApiTokenAuthenticator,
    statuses: RegistrationStatusRepository,
) -> list[RegistrationOutcome | None]:
    """The 2024 status batch: each (request id, ApiToken, app id or ``None``) answered in order.

    That form named no app, so an element without one is looked up under the app its token opens.
    Every token is checked before anything is read.

    Raises:
        InvalidRequestError: A token opens no app of the org (named ``[i].ApiToken``).
    """
    apps = [
        authenticate(authenticator, org_id, app_id, api_token, field_prefix=f"[{index}].")
        for index, (_, api_token, app_id) in enumerate(queries)
    ]
    wanted: dict[tuple[str, str], list[str]] = {}
    for app, (request_id, _, _) in zip(apps, queries, strict=True):
        wanted.setdefault((app.org_id, app.app_id), []).append(request_id.lower())
    found = {key: statuses.get_many(key[0], key[1], ids) for key, ids in wanted.items()}
    answers: list[RegistrationOutcome | None] = []
    for app, (request_id, _, _) in zip(apps, queries, strict=True):
        status = found[(app.org_id, app.app_id)].get(request_id.lower())
        answers.append(status.outcome if status is not None else None)
    return answers


def cleanup_devices(
    org_id: str, items: Sequence[CleanupItem], *, authenticator: ApiTokenAuthenticator, devices: DeviceRepository
) -> int:
    """Removes (device, user, app) combinations; every item is authenticated before anything is removed.

    Returns:
        How many devices were removed.

    Raises:
        InvalidRequestError: An item's ApiToken does not open its app; nothing is removed.
    """
    apps = [
        authenticate(authenticator, org_id, item.app_id, item.api_token, field_prefix=item.field_prefix)
        for item in items
    ]
    removed = 0
    for app, item in zip(apps, items, strict=True):
        if item.device_token is None:
            for device in devices.list_for_user(app.org_id, app.app_id, item.user_id):
                removed += devices.remove(app.org_id, app.app_id, item.user_id, device.platform, device.token_sha256)
            continue
        # DeviceToken is platform-neutral: remove it under every platform whose shape it fits.
        for platform in DevicePlatform:
            if token_shape_problem(platform, item.device_token) is None:
                sha = token_sha256(normalize_token(platform, item.device_token))
                removed += devices.remove(app.org_id, app.app_id, item.user_id, platform, sha)
    return removed


def list_user_devices(
    org_id: str, app_id: str, user_id: str, *, stores: MobileAppStores, devices: DeviceRepository
) -> list[Device]:
    """Every stored device of a user for an app (operator view).

    Raises:
        NotFoundError: No such app in the org.
    """
    app = find_mobile_app(org_id, app_id, stores=stores)
    return devices.list_for_user(app.org_id, app.app_id, user_id)
