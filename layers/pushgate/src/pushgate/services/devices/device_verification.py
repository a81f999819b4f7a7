"""The registration worker's use case: verify one accepted registration, store it, report it.

Per job, in CI-J's order: the app must still exist (else ``ApiTokenNotValid``), the token must fit
its platform's length (``DeviceTokenTooLong``), a token the user already holds is refreshed, or left alone when
registered within the last day (``DuplicateExists``; a job the API found fresh is reported so
without any read), a verification push (APNs: a background push carrying nothing; FCM: a
``validate_only`` message) must be accepted (``DryRunSendingFailed``), and the device is stored
(``FailedToStoreDevice`` when that keeps failing). Then the outcome is stored when tracking was
asked for, and the webhook is called.

A provider that does not answer, or a DynamoDB failure, raises ``RetryLaterError`` so SQS redelivers
the message; on the last delivery before the dead-letter queue the job ends ``Failed`` instead of
staying ``Pending`` forever. A redelivered job that already stored its device is recognised by
``last_request_id`` and reported ``Success`` again, never ``DuplicateExists``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pushgate.credentials.inputs import AppMode
from pushgate.errors import ConflictError, DependencyError
from pushgate.models.device import (
    Device,
    DevicePlatform,
    DeviceRef,
    DeviceStatus,
    FailureReason,
    RegistrationJob,
    RegistrationOutcome,
    RegistrationStatus,
    is_fresh_registration,
    token_is_too_long,
)
from pushgate.models.mobile_app import MobileApp
from pushgate.models.push import PushRequest, Verdict
from pushgate.models.webhook import webhook_body
from pushgate.observability import logger
from pushgate.providers.ports import ProviderClients, ProviderNotConfiguredError
from pushgate.services.devices.device_registration import app_mode_of, store_device, token_sha256
from pushgate.services.devices.ports import DeviceRepository, RegistrationStatusRepository, WebhookSender
from pushgate.services.ports import MobileAppRepository

#: The registration queue's ``maxReceiveCount`` in template.yaml: the last delivery before the DLQ.
MAX_RECEIVE_COUNT = 5
#: The detail of a ``DuplicateExists`` that wrote nothing (``is_fresh_registration``).
FRESH_REPEAT_DETAIL = "registered within the last day"


def _now() -> datetime:
    return datetime.now(UTC)


class RetryLaterError(Exception):
    """The job could not be decided now (provider unanswered, DynamoDB failing); SQS should redeliver it."""


class DeviceVerifier:
    """Runs registration jobs (see the module docstring).

    Args:
        apps: Mobile app configurations.
        devices: Devices and token ownership.
        statuses: Outcomes of tracked registrations.
        providers: Provider clients per app.
        webhooks: The webhook caller.
        now: Clock.
    """

    def __init__(
        self,
        *,
        apps: MobileAppRepository,
        devices: DeviceRepository,
        statuses: RegistrationStatusRepository,
        providers: ProviderClients,
        webhooks: WebhookSender,
        now: Callable[[], datetime] = _now,
    ) -> None:
        self._apps = apps
        self._devices = devices
        self._statuses = statuses
        self._providers = providers
        self._webhooks = webhooks
        self._now = now

    def run(self, job: RegistrationJob, *, receive_count: int = 1) -> RegistrationOutcome:
        """Decides, stores and reports one job.

        Args:
            job: The accepted registration.
            receive_count: How often SQS has delivered it (``ApproximateReceiveCount``).

        Returns:
            The outcome.

        Raises:
            RetryLaterError: Not decidable now and deliveries remain.
        """
        final_delivery = receive_count >= MAX_RECEIVE_COUNT
        try:
            if job.fresh_repeat:
                # The API read the device as this registration would leave it, moments ago, and
                # authenticated the app: report the duplicate, read and write nothing.
                outcome = RegistrationOutcome.failed(FailureReason.DUPLICATE_EXISTS, FRESH_REPEAT_DETAIL)
            else:
                outcome = self._decide(job, final_delivery=final_delivery)
        except DependencyError:
            if not final_delivery:
                raise RetryLaterError("the data store failed") from None
            outcome = RegistrationOutcome.failed(FailureReason.FAILED_TO_STORE_DEVICE, "the data store kept failing")
        logger.info(
            "registration decided",
            extra={
                "registration_request_id": job.request_id,
                "app_id": job.app_id,
                "platform": job.platform.value,
                "status": outcome.state.value,
                "failure_reason": outcome.reason.value if outcome.reason else None,
                "detail": outcome.detail,
            },
        )
        if job.track:
            try:
                self._statuses.put(
                    RegistrationStatus(
                        org_id=job.org_id,
                        app_id=job.app_id,
                        request_id=job.request_id,
                        outcome=outcome,
                        completed_at=self._now(),
                    )
                )
            except DependencyError:
                raise RetryLaterError("the outcome could not be stored") from None
        if job.callback_url and job.api_token:
            self._call_webhook(job, outcome)
        return outcome

    def _call_webhook(self, job: RegistrationJob, outcome: RegistrationOutcome) -> None:
        if job.callback_url is None or job.api_token is None:
            return
        result = self._webhooks.call(
            job.callback_url, job.callback_headers, webhook_body(outcome, job.callback_url, job.api_token)
        )
        logger.info(
            "registration webhook called",
            extra={"registration_request_id": job.request_id, "delivered": result.delivered, "result": result.summary},
        )
        if job.track:
            try:
                self._statuses.record_webhook(
                    job.org_id, job.app_id, job.request_id, result=result.summary, at=self._now()
                )
            except DependencyError:
                # The webhook has had its one attempt; a missing note must not make SQS call it again.
                logger.warning("webhook result not recorded", extra={"registration_request_id": job.request_id})

    def _decide(self, job: RegistrationJob, *, final_delivery: bool) -> RegistrationOutcome:
        app = self._apps.get(job.org_id, job.app_id)
        if app is None:
            return RegistrationOutcome.failed(FailureReason.API_TOKEN_NOT_VALID, "the mobile app no longer exists")
        if token_is_too_long(job.platform, job.token):
            return RegistrationOutcome.failed(FailureReason.DEVICE_TOKEN_TOO_LONG)
        sha = token_sha256(job.token)
        existing = self._devices.get(job.org_id, job.app_id, job.user_id, job.platform, sha)
        now = self._now()
        known = self._known_device_outcome(job, existing, sha, now, app_mode_of(app, job.platform))
        if known is not None:
            return known
        failed = self._dry_run(app, job, final_delivery=final_delivery)
        if failed is not None:
            return failed
        try:
            store_device(
                self._devices,
                app,
                user_id=job.user_id,
                platform=job.platform,
                token=job.token,
                request_id=job.request_id,
                now=now,
                existing=existing,
            )
        except ConflictError:
            return RegistrationOutcome.failed(
                FailureReason.FAILED_TO_STORE_DEVICE, "concurrent registrations of this token kept winning"
            )
        return RegistrationOutcome.success()

    def _known_device_outcome(
        self, job: RegistrationJob, existing: Device | None, sha: str, now: datetime, app_mode: AppMode | None
    ) -> RegistrationOutcome | None:
        if existing is None:
            return None
        if existing.last_request_id == job.request_id:
            # A redelivery of the job that stored this device: report what it achieved.
            return RegistrationOutcome.success()
        if is_fresh_registration(existing, app_mode=app_mode, now=now):
            # Stored since the API looked (two launches in quick succession): nothing to move.
            return RegistrationOutcome.failed(FailureReason.DUPLICATE_EXISTS, FRESH_REPEAT_DETAIL)
        if existing.status is DeviceStatus.ACTIVE and self._devices.refresh(
            DeviceRef(job.org_id, job.app_id, job.user_id, job.platform, sha),
            at=now,
            request_id=job.request_id,
            app_mode=app_mode,
        ):
            return RegistrationOutcome.failed(FailureReason.DUPLICATE_EXISTS, "refreshed the registration")
        # Not active (invalid, stale): verify and store it again like a new one.
        return None

    def _dry_run(self, app: MobileApp, job: RegistrationJob, *, final_delivery: bool) -> RegistrationOutcome | None:
        send_id = f"registration-{job.request_id}"
        # A verification push: FCM validates without delivering; APNs gets a background push with
        # nothing in it, which no app acts on (see PushRequest.dry_run).
        request = PushRequest(device_token=job.token, send_id=send_id, dry_run=True)
        try:
            if job.platform is DevicePlatform.IOS:
                result = self._providers.apns_client(app).send(request)
            else:
                result = self._providers.fcm_client(app).send(request)
        except ProviderNotConfiguredError as error:
            return RegistrationOutcome.failed(FailureReason.DRY_RUN_SENDING_FAILED, error.message)
        if result.verdict is Verdict.DELIVERED:
            return None
        detail = f"{result.platform.value.upper()} {result.reason or result.rule}: {result.detail or ''}".strip()
        if result.verdict is Verdict.RETRY:
            if not final_delivery:
                raise RetryLaterError(detail)
            return RegistrationOutcome.failed(FailureReason.DRY_RUN_SENDING_FAILED, f"no answer in time: {detail}")
        if result.verdict is Verdict.CONFIGURATION_ERROR:
            detail = f"the app's credentials were rejected, not the token: {detail}"
        return RegistrationOutcome.failed(FailureReason.DRY_RUN_SENDING_FAILED, detail)
