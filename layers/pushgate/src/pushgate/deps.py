"""The composition root: builds adapters once per execution environment and hands them out.

Handlers call these factories; services receive what they return. Nothing here runs at import
time, so importing a handler has no side effects. Tests clear the caches with ``reset()``.

Each factory imports what it builds when it is first called: every function imports this module,
and a cold start should pay only for the adapters that function uses (the provider clients,
templating and phone-number libraries are far heavier than an org lookup).

AWS clients come from one botocore session, not from boto3: importing boto3 imports s3transfer
(about 100 ms of a cold start together) for nothing a client needs. The session reads the same
settings boto3's clients do (region, credentials, ``AWS_ENDPOINT_URL_<SERVICE>``, retry mode and
attempts from the environment and the shared config) and signs with SigV4 the same way.

With Lambda SnapStart, every execution environment resumed from a snapshot starts with these caches
as init left them; ``reset`` runs after each restore (``pushgate.snapstart``), so credentials,
connections and provider tokens are never shared between resumed environments.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import botocore.session

from pushgate import snapstart
from pushgate.config import (
    AudienceQueueSettings,
    DeliveryClockSettings,
    DeliveryQueueSettings,
    InteractionSettings,
    LedgerSettings,
    MobileAppSettings,
    PacingPolicy,
    RegistrationQueueSettings,
    TableSettings,
    WebhookSettings,
    clear_settings,
    settings,
    tracked_link_base,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from typing import Any

    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_secretsmanager.client import SecretsManagerClient
    from mypy_boto3_sqs.client import SQSClient

    from pushgate.adapters.delivery_queue import SqsAudienceQueue, SqsDeliveryQueue
    from pushgate.adapters.dynamodb.delivery_timing import (
        DynamoDeliveryPolicies,
        DynamoFrequencyCaps,
        DynamoHeldJobs,
    )
    from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository, DynamoRegistrationStatusRepository
    from pushgate.adapters.dynamodb.directory import DynamoAppUserLinkRepository, DynamoPersonRepository
    from pushgate.adapters.dynamodb.interactions import DynamoInsightCounterReader, DynamoInteractionExport
    from pushgate.adapters.dynamodb.orgs import DynamoOrgRepository
    from pushgate.adapters.dynamodb.segments import DynamoSegmentRepository
    from pushgate.adapters.dynamodb.sends import DynamoParkedJobs, DynamoSendRepository
    from pushgate.adapters.dynamodb.table import MainTable
    from pushgate.adapters.dynamodb.token_policies import DynamoTokenPolicyRepository
    from pushgate.adapters.registration_queue import SqsRegistrationQueue
    from pushgate.adapters.s3_outcomes import S3JobOutcomes
    from pushgate.providers.app_sender import AppPushSender
    from pushgate.providers.clients import ProviderClientFactory
    from pushgate.providers.pacing import ProjectRateLimiter
    from pushgate.services.apps.api_tokens import ApiTokenAuthenticator
    from pushgate.services.apps.credential_checks import ProviderCredentialChecker
    from pushgate.services.apps.mobile_apps import MobileAppStores
    from pushgate.services.devices.device_verification import DeviceVerifier
    from pushgate.services.directory.directory import DirectoryStores
    from pushgate.services.directory.person_page import PersonPageStores
    from pushgate.services.directory.user_mapping import PersonEraser
    from pushgate.services.interactions.interactions import InteractionStores
    from pushgate.services.messages.ports import DeviceFinder, RecipientDirectory
    from pushgate.services.messages.push_messages import MessageStores
    from pushgate.services.segments.preview import PreviewStores
    from pushgate.services.segments.segments import SegmentStores
    from pushgate.services.sends.audience import AudiencePorts
    from pushgate.services.sends.delivery import DeliveryService
    from pushgate.services.sends.parked_jobs import QueueParkedJobResumer
    from pushgate.services.sends.segment_sends import SegmentPorts
    from pushgate.services.sends.send_fanout import SendStores
    from pushgate.services.token_cleanup.token_cleanup import TokenCleanup


@cache
def aws_session() -> botocore.session.Session:
    """The one botocore session the AWS clients of an execution environment are created from.

    Its data loader knows only the services Pushgate builds clients of, so loading a model skips
    botocore's scan of every service folder (``runtime.service_models``).
    """
    from pushgate.runtime.service_models import pushgate_services_loader

    session = botocore.session.get_session()
    session.register_component("data_loader", pushgate_services_loader(session.get_config_variable("data_path")))
    return session


def _client(service: str, **options: Any) -> Any:
    """A client of ``service`` from the shared session, with a User-Agent fixed when it is built.

    botocore otherwise builds its User-Agent header again for every request, twice, each part
    checked character by character: about 0.2 ms of CPU a request on the development machine, a
    sixth of a small request's (``docs/decisions.md``, "Less botocore work a request"). The fixed
    one still names botocore's version, Python's and the Lambda runtime.
    """
    from botocore.config import Config

    return aws_session().create_client(service, config=Config(user_agent=_user_agent(), **options))


@cache
def _user_agent() -> str:
    parts = [f"Botocore/{botocore.__version__}", "lang/python#{}.{}.{}".format(*sys.version_info[:3])]
    if runtime := os.environ.get("AWS_EXECUTION_ENV"):
        parts.append(f"exec-env/{runtime}")
    return " ".join([*parts, "app/pushgate"])


@cache
def dynamodb_client() -> DynamoDBClient:
    """One DynamoDB client per execution environment (endpoint from ``AWS_ENDPOINT_URL_DYNAMODB`` if set).

    Its bulk reads' items skip botocore's shape walk (``runtime.dynamodb_items``), and botocore does
    not validate its requests against the model: ``MainTable`` builds every request from typed
    values and DynamoDB validates each again, while botocore's check of one page of a send's device
    read (a statement of 50 parameters) costs about 170 µs of CPU (same decision).
    """
    from pushgate.runtime import dynamodb_items

    client = _client("dynamodb", parameter_validation=False)
    dynamodb_items.install(client)
    return cast("DynamoDBClient", client)


@cache
def secretsmanager_client() -> SecretsManagerClient:
    """One Secrets Manager client per execution environment."""
    return cast("SecretsManagerClient", _client("secretsmanager"))


@cache
def s3_client() -> Any:
    """One S3 client per execution environment (endpoint from ``AWS_ENDPOINT_URL_S3`` if set), built on first use."""
    return _client("s3")


@cache
def job_outcome_objects() -> S3JobOutcomes | None:
    """The jobs' outcome objects in ``LEDGER_BUCKET``; ``None`` keeps outcomes in the main table."""
    from pushgate.adapters.s3_outcomes import S3JobOutcomes

    bucket = settings(LedgerSettings).bucket
    # The client is built on the first object read or written: most calls of a function that
    # holds the send repository never touch the ledger, and the S3 model is the biggest one loaded.
    return S3JobOutcomes(s3_client, bucket) if bucket else None


@cache
def main_table() -> MainTable:
    """The main table named by ``TABLE_NAME``."""
    from pushgate.adapters.dynamodb.table import MainTable

    return MainTable(dynamodb_client(), settings(TableSettings).table_name)


@cache
def org_repository() -> DynamoOrgRepository:
    """Orgs in the main table."""
    from pushgate.adapters.dynamodb.orgs import DynamoOrgRepository

    return DynamoOrgRepository(main_table())


@cache
def mobile_app_stores() -> MobileAppStores:
    """Everything the mobile app use cases need."""
    from pushgate.adapters.dynamodb.mobile_apps import DynamoApiTokenRepository, DynamoMobileAppRepository
    from pushgate.adapters.secrets_manager import SecretsManagerStore
    from pushgate.services.apps.mobile_apps import MobileAppStores

    return MobileAppStores(
        orgs=org_repository(),
        apps=DynamoMobileAppRepository(main_table()),
        tokens=DynamoApiTokenRepository(main_table()),
        secrets=SecretsManagerStore(secretsmanager_client()),
        secret_prefix=settings(MobileAppSettings).secrets_prefix,
    )


@cache
def api_token_authenticator() -> ApiTokenAuthenticator:
    """The access-token check of the public routes, with its per-environment cache."""
    from pushgate.adapters.dynamodb.mobile_apps import DynamoApiTokenRepository, DynamoMobileAppRepository
    from pushgate.services.apps.api_tokens import ApiTokenAuthenticator

    return ApiTokenAuthenticator(
        tokens=DynamoApiTokenRepository(main_table()), apps=DynamoMobileAppRepository(main_table())
    )


@cache
def credential_checker() -> ProviderCredentialChecker:
    """The live check of app credentials against APNs and FCM (endpoints from ``ProviderSettings``)."""
    from pushgate.services.apps.credential_checks import ProviderCredentialChecker

    return ProviderCredentialChecker(clients=interactive_provider_clients())


@cache
def interactive_provider_clients() -> ProviderClientFactory:
    """Provider clients for operator actions (credential checks, test sends): few streams, short timeouts."""
    from pushgate.providers.clients import ProviderClientFactory

    options = {"max_in_flight": 10, "connect_timeout_s": 10.0, "request_timeout_s": 10.0}
    return ProviderClientFactory(secrets=mobile_app_stores().secrets, apns_options=options, fcm_options=options)


@cache
def person_repository() -> DynamoPersonRepository:
    """People of the directory and their email/phone lookups."""
    from pushgate.adapters.dynamodb.directory import DynamoPersonRepository

    return DynamoPersonRepository(main_table())


@cache
def directory_stores() -> DirectoryStores:
    """Everything the directory use cases need."""
    from pushgate.services.directory.directory import DirectoryStores

    return DirectoryStores(orgs=org_repository(), people=person_repository())


@cache
def app_user_link_repository() -> DynamoAppUserLinkRepository:
    """Links from apps' own user ids to directory records."""
    from pushgate.adapters.dynamodb.directory import DynamoAppUserLinkRepository

    return DynamoAppUserLinkRepository(main_table())


@cache
def person_page_stores() -> PersonPageStores:
    """What the person page reads: the directory, apps, devices, links, sends and message names."""
    from pushgate.adapters.dynamodb.messages import DynamoMessageTemplateRepository
    from pushgate.adapters.dynamodb.mobile_apps import DynamoMobileAppRepository
    from pushgate.services.directory.person_page import PersonPageStores

    return PersonPageStores(
        directory=directory_stores(),
        apps=DynamoMobileAppRepository(main_table()),
        devices=device_repository(),
        links=app_user_link_repository(),
        sends=send_repository(),
        messages=DynamoMessageTemplateRepository(main_table()),
    )


@cache
def person_erasers() -> tuple[PersonEraser, ...]:
    """What erasing a person removes, in order (the record first, so nothing new can link to it)."""
    from pushgate.services.devices.device_erasure import DeviceEraser
    from pushgate.services.directory.user_mapping import AppUserLinkEraser, DirectoryRecordEraser

    return (
        DirectoryRecordEraser(person_repository()),
        AppUserLinkEraser(app_user_link_repository()),
        DeviceEraser(apps=mobile_app_stores().apps, devices=device_repository()),
    )


@cache
def sqs_client() -> SQSClient:
    """One SQS client per execution environment."""
    return cast("SQSClient", _client("sqs"))


@cache
def device_repository() -> DynamoDeviceRepository:
    """Devices and token ownership in the main table."""
    from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository

    return DynamoDeviceRepository(main_table())


@cache
def registration_status_repository() -> DynamoRegistrationStatusRepository:
    """Outcomes of tracked registrations (expiring after 7 days)."""
    from pushgate.adapters.dynamodb.devices import DynamoRegistrationStatusRepository

    return DynamoRegistrationStatusRepository(main_table())


@cache
def registration_queue() -> SqsRegistrationQueue:
    """The queue of accepted registrations (``REGISTRATION_QUEUE_URL``)."""
    from pushgate.adapters.registration_queue import SqsRegistrationQueue

    return SqsRegistrationQueue(sqs_client(), settings(RegistrationQueueSettings).queue_url)


@cache
def provider_client_factory() -> ProviderClientFactory:
    """APNs and FCM clients per app, kept for the execution environment (registration and delivery)."""
    from pushgate.providers.clients import ProviderClientFactory

    return ProviderClientFactory(
        secrets=mobile_app_stores().secrets,
        # One dry run or a delivery batch at a time per client; registration wants answers fast.
        apns_options={"request_timeout_s": 10.0},
        fcm_options={"request_timeout_s": 10.0},
    )


@cache
def device_verifier() -> DeviceVerifier:
    """The registration worker's use case with its adapters."""
    from pushgate.adapters.dynamodb.mobile_apps import DynamoMobileAppRepository
    from pushgate.adapters.webhooks import WebhookCaller
    from pushgate.services.devices.device_verification import DeviceVerifier

    webhook = settings(WebhookSettings)
    return DeviceVerifier(
        apps=DynamoMobileAppRepository(main_table()),
        devices=device_repository(),
        statuses=registration_status_repository(),
        providers=provider_client_factory(),
        webhooks=WebhookCaller(allow_loopback=webhook.allow_loopback, timeout_s=webhook.timeout_s),
        now=clock(),
    )


@cache
def message_stores() -> MessageStores:
    """Everything the push message use cases need."""
    from pushgate.adapters.dynamodb.messages import DynamoMessageTemplateRepository
    from pushgate.adapters.dynamodb.mobile_apps import DynamoMobileAppRepository
    from pushgate.services.messages.push_messages import MessageStores

    return MessageStores(
        orgs=org_repository(),
        messages=DynamoMessageTemplateRepository(main_table()),
        apps=DynamoMobileAppRepository(main_table()),
    )


@cache
def recipient_directory() -> RecipientDirectory:
    """Where previews, test sends and sends find a recipient's attributes and locale by ``UserId``."""
    from pushgate.services.messages.recipient_directory import DirectoryRecipients

    return DirectoryRecipients(person_repository())


@cache
def device_finder() -> DeviceFinder:
    """Where test sends by ``UserId`` find the user's Active devices for an app."""
    from pushgate.services.devices.device_targets import RegisteredDevices

    return RegisteredDevices(device_repository())


@cache
def push_sender() -> AppPushSender:
    """Sends test notifications with an app's own credentials (endpoints from ``ProviderSettings``)."""
    from pushgate.providers.app_sender import AppPushSender

    return AppPushSender(interactive_provider_clients())


@cache
def delivery_queue() -> SqsDeliveryQueue:
    """The queue of delivery jobs (``DELIVERY_QUEUE_URL``)."""
    from pushgate.adapters.delivery_queue import SqsDeliveryQueue

    return SqsDeliveryQueue(sqs_client(), settings(DeliveryQueueSettings).queue_url)


@cache
def audience_queue() -> SqsAudienceQueue:
    """The queue of broadcast audience pages (``AUDIENCE_QUEUE_URL``)."""
    from pushgate.adapters.delivery_queue import SqsAudienceQueue

    return SqsAudienceQueue(sqs_client(), settings(AudienceQueueSettings).queue_url)


def audience_shards() -> int:
    """Shards of an app's device index: a broadcast reads them as that many page chains."""
    from pushgate.adapters.dynamodb.keys import APP_DEVICE_SHARDS

    return APP_DEVICE_SHARDS


@cache
def audience_ports() -> AudiencePorts:
    """What the audience worker reads and writes."""
    from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
    from pushgate.adapters.dynamodb.messages import DynamoMessageTemplateRepository
    from pushgate.services.sends.audience import AudiencePorts

    return AudiencePorts(
        reader=device_repository(),
        progress=send_repository(),
        pages=audience_queue(),
        jobs=delivery_queue(),
        messages=DynamoMessageTemplateRepository(main_table()),
        # A page's people are read eventually consistently (their consent comes from the devices).
        people=DynamoPersonRepository(main_table(), consistent_batch_reads=False),
        held=held_jobs(),
    )


@cache
def send_repository() -> DynamoSendRepository:
    """Sends, delivery-job claims and the ledger (send references expire with the interactions)."""
    from pushgate.adapters.dynamodb.sends import DynamoSendRepository

    return DynamoSendRepository(
        main_table(), retention=settings(InteractionSettings).retention, outcome_objects=job_outcome_objects()
    )


@cache
def parked_jobs() -> DynamoParkedJobs:
    """Delivery jobs parked after a credential failure."""
    from pushgate.adapters.dynamodb.sends import DynamoParkedJobs

    return DynamoParkedJobs(main_table())


@cache
def send_stores() -> SendStores:
    """Everything the send routes need (tracked links from ``PUBLIC_ENDPOINT``)."""
    from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
    from pushgate.adapters.dynamodb.messages import DynamoMessageTemplateRepository
    from pushgate.adapters.dynamodb.mobile_apps import DynamoMobileAppRepository
    from pushgate.adapters.dynamodb.recipient_devices import DynamoRecipientDevices
    from pushgate.adapters.dynamodb.sends import DynamoInsightCounters
    from pushgate.services.sends.send_fanout import SendStores

    return SendStores(
        orgs=org_repository(),
        apps=DynamoMobileAppRepository(main_table()),
        messages=DynamoMessageTemplateRepository(main_table()),
        # Eventually consistent (half the read units): a device or consent changed within the last
        # second before a send may be seen as it was.
        people=DynamoPersonRepository(main_table(), consistent_batch_reads=False),
        sends=send_repository(),
        queue=delivery_queue(),
        parked=parked_jobs(),
        recipient_devices=DynamoRecipientDevices(main_table(), consistent=False),
        link_base=tracked_link_base(settings(MobileAppSettings).public_endpoint),
        held=held_jobs(),
        policies=delivery_policies(),
        counters=DynamoInsightCounters(main_table()),
    )


@cache
def send_idempotency_store() -> DynamoDBPersistenceLayer:
    """Powertools idempotency records of send requests, in the main table (TTL ``expiration``)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from pushgate.adapters.dynamodb.keys import PARTITION_KEY, SEND_IDEMPOTENCY_PARTITION, SORT_KEY, TTL_ATTRIBUTE

    return DynamoDBPersistenceLayer(
        table_name=settings(TableSettings).table_name,
        key_attr=PARTITION_KEY,
        sort_key_attr=SORT_KEY,
        static_pk_value=SEND_IDEMPOTENCY_PARTITION,
        expiry_attr=TTL_ATTRIBUTE,
        boto3_client=dynamodb_client(),
    )


def send_once(accept: Callable[[], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``accept`` answered once per org and ``IdempotencyKey`` (see ``adapters.send_idempotency``)."""
    from pushgate.adapters.send_idempotency import answered_once

    return answered_once(accept, send_idempotency_store())


def send_idempotency_config() -> IdempotencyConfig:
    """The send idempotency settings (the handler registers each invocation's context with them)."""
    from pushgate.adapters.send_idempotency import SEND_IDEMPOTENCY_CONFIG

    return SEND_IDEMPOTENCY_CONFIG


@cache
def delivery_service() -> DeliveryService:
    """The delivery worker's use case with its adapters."""
    from pushgate.adapters.dynamodb.device_verdicts import DynamoDeviceVerdicts
    from pushgate.adapters.dynamodb.message_status import DynamoMessageStatusReader
    from pushgate.adapters.dynamodb.mobile_apps import DynamoMobileAppRepository
    from pushgate.adapters.dynamodb.sends import DynamoInsightCounters
    from pushgate.services.sends.delivery import DeliveryPorts, DeliveryService, RepositoryCredentialMarker

    apps = DynamoMobileAppRepository(main_table())
    return DeliveryService(
        DeliveryPorts(
            sends=send_repository(),
            apps=apps,
            messages=DynamoMessageStatusReader(main_table()),
            queue=delivery_queue(),
            parked=parked_jobs(),
            devices=DynamoDeviceVerdicts(main_table()),
            credentials=RepositoryCredentialMarker(apps),
            counters=DynamoInsightCounters(main_table()),
            providers=provider_client_factory(),
            caps=frequency_caps(),
            cancellations=send_repository(),
        ),
        fcm_pacer=fcm_pacer(),
        now=clock(),
    )


@cache
def fcm_pacer() -> ProjectRateLimiter:
    """Paces FCM sends per Firebase project in this execution environment (``FCM_MESSAGES_PER_MINUTE``)."""
    from pushgate.providers.pacing import ProjectRateLimiter

    return ProjectRateLimiter(settings(PacingPolicy))


@cache
def parked_job_resumer() -> QueueParkedJobResumer:
    """Puts deliveries parked on failed credentials back in the delivery queue once the credentials change."""
    from pushgate.services.sends.parked_jobs import QueueParkedJobResumer

    return QueueParkedJobResumer(parked_jobs(), delivery_queue())


@cache
def token_policy_repository() -> DynamoTokenPolicyRepository:
    """Apps' token policies (stale window, grace periods), read and written by operators."""
    from pushgate.adapters.dynamodb.token_policies import DynamoTokenPolicyRepository

    return DynamoTokenPolicyRepository(main_table())


@cache
def token_cleanup() -> TokenCleanup:
    """The scheduled token cleanup and its dry run."""
    from pushgate.adapters.dynamodb.token_cleanup import DynamoTokenCleanupStore
    from pushgate.services.token_cleanup.token_cleanup import TokenCleanup

    # The local clock, as every function reads it: a device the delivery worker marked Invalid
    # "tomorrow" on a moved clock is judged by the cleanup on that same clock.
    return TokenCleanup(store=DynamoTokenCleanupStore(main_table()), policies=token_policy_repository(), now=clock())


@cache
def interaction_stores() -> InteractionStores:
    """Tracking-id resolution and engagement recording (retention from ``INTERACTION_RETENTION_DAYS``)."""
    from pushgate.adapters.dynamodb.interactions import DynamoEngagementRecorder, DynamoTrackedNotifications
    from pushgate.services.interactions.interactions import InteractionStores

    return InteractionStores(
        notifications=DynamoTrackedNotifications(main_table(), send_repository()),
        recorder=DynamoEngagementRecorder(main_table(), retention=settings(InteractionSettings).retention),
    )


@cache
def insight_counter_reader() -> DynamoInsightCounterReader:
    """The daily insight counters of messages, journeys and apps."""
    from pushgate.adapters.dynamodb.interactions import DynamoInsightCounterReader

    return DynamoInsightCounterReader(main_table())


@cache
def interaction_export() -> DynamoInteractionExport:
    """Pages of a message's or journey's interaction records (ledgers included)."""
    from pushgate.adapters.dynamodb.interactions import DynamoInteractionExport

    return DynamoInteractionExport(main_table(), send_repository())


@cache
def clock() -> Callable[[], datetime]:
    """The clock of every function's "now" that users can see or schedule by: sends, quiet hours, caps,
    device registrations, provider verdicts and the token cleanup (the local runtime can move it; AWS cannot)."""
    from pushgate.clock import delivery_clock

    return delivery_clock(settings(DeliveryClockSettings).local_clock_file)


@cache
def delivery_policies() -> DynamoDeliveryPolicies:
    """Apps' delivery policies (quiet hours, frequency caps, default time zone)."""
    from pushgate.adapters.dynamodb.delivery_timing import DynamoDeliveryPolicies

    return DynamoDeliveryPolicies(main_table())


@cache
def held_jobs() -> DynamoHeldJobs:
    """Delivery jobs held until they are due (scheduled sends, quiet hours)."""
    from pushgate.adapters.dynamodb.delivery_timing import DynamoHeldJobs

    return DynamoHeldJobs(main_table())


@cache
def frequency_caps() -> DynamoFrequencyCaps:
    """People's frequency-cap histories."""
    from pushgate.adapters.dynamodb.delivery_timing import DynamoFrequencyCaps

    return DynamoFrequencyCaps(main_table())


@cache
def segment_repository() -> DynamoSegmentRepository:
    """Saved segments."""
    from pushgate.adapters.dynamodb.segments import DynamoSegmentRepository

    return DynamoSegmentRepository(main_table())


@cache
def segment_stores() -> SegmentStores:
    """Everything the saved-segment routes need."""
    from pushgate.services.segments.segments import SegmentStores

    return SegmentStores(orgs=org_repository(), segments=segment_repository())


@cache
def preview_stores() -> PreviewStores:
    """Everything an audience preview reads (people and devices eventually consistently)."""
    from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
    from pushgate.adapters.dynamodb.keys import APP_DEVICE_SHARDS
    from pushgate.adapters.dynamodb.mobile_apps import DynamoMobileAppRepository
    from pushgate.adapters.dynamodb.recipient_devices import DynamoRecipientDevices
    from pushgate.services.segments.preview import PreviewStores

    return PreviewStores(
        orgs=org_repository(),
        apps=DynamoMobileAppRepository(main_table()),
        people=person_repository(),
        recipient_devices=DynamoRecipientDevices(main_table(), consistent=False),
        device_index=DynamoDeviceRepository(main_table(), consistent_lists=False),
        segments=segment_repository(),
        shards=APP_DEVICE_SHARDS,
    )


@cache
def segment_ports() -> SegmentPorts:
    """What the audience worker reads and writes for segment sends."""
    from pushgate.services.sends.segment_sends import SegmentPorts

    stores = send_stores()
    return SegmentPorts(
        people=person_repository(),
        apps=stores.apps,
        devices=stores.recipient_devices,
        progress=send_repository(),
        pages=audience_queue(),
        jobs=delivery_queue(),
        held=held_jobs(),
    )


def reset() -> None:
    """Forgets every cached adapter and setting (tests change the environment between cases)."""
    clear_settings()
    for factory in (
        aws_session,
        dynamodb_client,
        interaction_stores,
        insight_counter_reader,
        interaction_export,
        token_policy_repository,
        token_cleanup,
        message_stores,
        recipient_directory,
        device_finder,
        push_sender,
        secretsmanager_client,
        s3_client,
        job_outcome_objects,
        main_table,
        org_repository,
        mobile_app_stores,
        api_token_authenticator,
        credential_checker,
        interactive_provider_clients,
        person_repository,
        directory_stores,
        app_user_link_repository,
        person_erasers,
        sqs_client,
        device_repository,
        registration_status_repository,
        registration_queue,
        provider_client_factory,
        device_verifier,
        delivery_queue,
        send_repository,
        parked_jobs,
        send_stores,
        send_idempotency_store,
        delivery_service,
        fcm_pacer,
        parked_job_resumer,
        clock,
        delivery_policies,
        held_jobs,
        frequency_caps,
        segment_repository,
        segment_stores,
        preview_stores,
        segment_ports,
        _user_agent,
    ):
        factory.cache_clear()


# Registered when a handler imports this module (every function does, at top level), which is where
# Lambda looks for runtime hooks.
snapstart.register_after_restore(reset)
