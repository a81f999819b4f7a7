"""The interaction and insight handlers against DynamoDB Local: a ledger written by the send repository,
events and clicks through the real handlers, counters and exports read back."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.read_insights import app as read_insights
from functions.report_interaction import app as report_interaction
from functions.send_fanout import app as send_fanout
from pushgate import deps
from pushgate.adapters.dynamodb.keys import job_outcomes_key
from pushgate.adapters.dynamodb.sends import DynamoInsightCounters
from pushgate.models.device import DevicePlatform
from pushgate.models.org import Org
from pushgate.models.push import PushMessage
from pushgate.models.send import (
    DeliveryJob,
    JobDevice,
    LedgerEntry,
    Outcome,
    SendRecord,
    new_tracking_id,
    new_tracking_key,
)
from pushgate.services.sends.ports import JobOutcomes
from pushgate_local.provision import ProvisionedResources
from tests import ledger_forms
from tests.conftest import FakeLambdaContext, load_event, recent_insight_days

ORG = "0b7c6f9e-2f44-4d1e-9a57-3c1e6f1d2a10"
SEND = "5d0c3f7a-9b1e-4c2d-8e6f-0a1b2c3d4e5f"
APP, MESSAGE = "5d0a3f57-8f0e-4c5e-b1f4-6b1f1c2e9a77", "7a4c2e91-3b5d-4f60-8e1a-2c9d0b6f4e35"
TOKEN = "ab" * 32
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile Safari"


def _legacy_tracking_id() -> str:
    """A 64-character id as Pushgate issued them before GUIDs (version 1, org, send, job 0, random)."""
    raw = bytes([1]) + uuid.UUID(ORG).bytes + uuid.UUID(SEND).bytes + (0).to_bytes(3, "big") + b"k" * 12
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _delivered(now: datetime, *, legacy: bool = False, entries: list[LedgerEntry] | None = None) -> str:
    """Records a one-device send as the fan-out and the delivery worker would; returns its tracking id.

    With ``entries``, the job's outcomes are those (the device's tracking id is the first one's).
    """
    sends = deps.send_repository()
    deps.org_repository().create(Org(org_id=ORG, name="Contoso", created_at=now))
    tracking_key = new_tracking_key()
    tracking_id = _legacy_tracking_id() if legacy else new_tracking_id(tracking_key)
    if entries is not None and entries[0].tracking_id is not None:
        tracking_id = entries[0].tracking_id
        tracking_key = tracking_id.replace("-", "")[:16]
    device = JobDevice(
        user_id="contact-1",
        platform=DevicePlatform.IOS,
        token=TOKEN,
        token_sha256=hashlib.sha256(TOKEN.encode()).hexdigest(),
        tracking_id=tracking_id,
        message=0,
        tracked=True,
        profile_type="contact",
    )
    job = DeliveryJob(
        job_id="00000",
        org_id=ORG,
        app_id=APP,
        send_id=SEND,
        message_id=MESSAGE,
        message_version=2,
        journey_id="welcome",
        link_base="https://push.example.com/l/",
        messages=[PushMessage(title="Hi", body="Sale", original_link="https://contoso.com/sale")],
        devices=[device],
    )
    record = SendRecord(
        org_id=ORG,
        send_id=SEND,
        app_id=APP,
        message_id=MESSAGE,
        message_version=2,
        journey_id="welcome",
        created_at=now,
        recipients_accepted=1,
        recipients_rejected=0,
        devices_targeted=1,
        recipient_outcomes=0,
        jobs_total=1,
    )
    sends.create(record, [], {} if legacy else {tracking_key: "00000"})
    at = now - timedelta(minutes=1)
    sends.claim(job, at=at)
    entry = LedgerEntry(
        user_id="contact-1",
        outcome=Outcome.SENT,
        platform=DevicePlatform.IOS,
        token_sha256=device.token_sha256,
        tracking_id=tracking_id,
        at=at,
        profile_type="contact",
        link="https://contoso.com/sale",
    )
    outcomes = [entry] if entries is None else entries
    assert sends.complete(job, JobOutcomes(outcomes), at=at)
    DynamoInsightCounters(deps.main_table()).add(job, outcomes, day=at.date().isoformat())
    return tracking_id


def _event(name: str, tracking_id: str, **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(load_event(f"report_interaction/{name}"))
    if "body" in event:
        body = json.loads(event["body"])
        if "TrackingId" in body:
            body["TrackingId"] = tracking_id
        body.update(changes)
        event["body"] = json.dumps(body)
    # The tracked link names the id as {trackingId}; the v1 event route's greedy route as {proxy+}.
    parameters = event["pathParameters"]
    if "trackingId" in parameters or str(parameters.get("proxy", "")).startswith("trackings/"):
        event["rawPath"] = event["requestContext"]["http"]["path"] = (
            f"{event['rawPath'].rsplit('/', 1)[0]}/{tracking_id}"
        )
        if "trackingId" in parameters:
            parameters["trackingId"] = tracking_id
        else:
            parameters["proxy"] = f"trackings/{tracking_id}"
    return event


def _insights(lambda_context: FakeLambdaContext, dimension: str, dimension_id: str) -> dict[str, Any]:
    event = copy.deepcopy(load_event("read_insights/read_insights.json"))
    # Around midnight UTC the delivery, a minute before the reports, counts on the day before them.
    days = recent_insight_days()
    event["rawPath"] = event["requestContext"]["http"]["path"] = (
        f"/admin/v1/orgs/{ORG}/insights/{dimension}/{dimension_id}"
    )
    event["pathParameters"] = {"orgId": ORG, "dimension": dimension, "dimensionId": dimension_id}
    event["rawQueryString"] = f"From={days['From']}&To={days['To']}"
    event["queryStringParameters"] = days
    response = read_insights.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 200, response["body"]
    overall: dict[str, Any] = json.loads(response["body"])["Overall"]
    return overall


@pytest.mark.usefixtures("aws_env")
def test_opens_and_clicks_are_recorded_once_per_notification_and_counted(lambda_context: FakeLambdaContext) -> None:
    tracking_id = _delivered(datetime.now(UTC))

    for status in (1, "Opened"):
        response = report_interaction.lambda_handler(
            _event("report_event.json", tracking_id, PushNotificationStatus=status), lambda_context
        )
        assert response["statusCode"] == 202, response["body"]
    v1 = report_interaction.lambda_handler(_event("report_event_v1.json", tracking_id), lambda_context)
    assert v1["statusCode"] == 200, v1["body"]
    refused = report_interaction.lambda_handler(
        _event("report_event.json", tracking_id, DeviceToken="cd" * 32), lambda_context
    )
    assert refused["statusCode"] == 400
    click = report_interaction.lambda_handler(_event("follow_link.json", tracking_id), lambda_context)
    assert click["statusCode"] == 302
    assert click["headers"]["Location"] == "https://contoso.com/sale"

    # The three opens arrived within one tap: one open; the click is new to the tap and counts.
    for dimension, dimension_id in (("messages", MESSAGE), ("journeys", "welcome"), ("apps", APP)):
        overall = _insights(lambda_context, dimension, dimension_id)
        assert (overall["Sent"], overall["Opened"], overall["UniqueOpens"]) == (1, 1, 1)
        assert (overall["Clicks"], overall["UniqueClicks"], overall["BotClicks"]) == (1, 1, 0)
        assert (overall["Inflow"], overall["OpenRate"], overall["ClickToOpenRate"]) == (1, 1.0, 1.0)

    export = copy.deepcopy(load_event("read_insights/export_interactions.json"))
    export["rawPath"] = export["requestContext"]["http"]["path"] = (
        f"/admin/v1/orgs/{ORG}/insights/journeys/welcome/interactions"
    )
    export["pathParameters"]["dimensionId"] = "welcome"
    response = read_insights.lambda_handler(export, lambda_context)
    assert response["statusCode"] == 200, response["body"]
    lines = response["body"].splitlines()
    assert lines[0].startswith("InteractionId,InteractionType,Timestamp")
    kinds = sorted(line.split(",")[1] for line in lines[1:])
    assert kinds == ["LinkClicked", "Opened", "Sent"]

    table = boto3.client("dynamodb").scan(TableName=deps.main_table().table_name)["Items"]
    records = [i for i in table if i["type"]["S"] == "InteractionEvent"]
    assert len(records) == 2
    assert all(int(i["expiration"]["N"]) > datetime.now(UTC).timestamp() + 89 * 86400 for i in records)
    markers = [i for i in table if i["type"]["S"] == "FirstEngagement"]
    assert len(markers) == 2
    (tap,) = [i for i in table if i["type"]["S"] == "LastTap"]
    assert sorted(v["S"] for v in tap["counted"]["L"]) == ["LinkClicked", "Opened"]


@pytest.mark.usefixtures("aws_env")
def test_the_app_s_clicked_and_the_redirect_of_one_tap_count_one_click(lambda_context: FakeLambdaContext) -> None:
    tracking_id = _delivered(datetime.now(UTC))
    # Objective-C and Swift post Clicked (0) and open the tracked link at the same moment.
    clicked = report_interaction.lambda_handler(
        _event("report_event.json", tracking_id.upper(), PushNotificationStatus="0"), lambda_context
    )
    assert clicked["statusCode"] == 202, clicked["body"]
    followed = report_interaction.lambda_handler(_event("follow_link.json", tracking_id), lambda_context)
    assert followed["statusCode"] == 302
    overall = _insights(lambda_context, "messages", MESSAGE)
    assert (overall["Opened"], overall["UniqueOpens"], overall["Clicks"], overall["UniqueClicks"]) == (1, 1, 1, 1)


@pytest.mark.usefixtures("aws_env")
def test_a_followed_link_counts_the_open_the_app_never_reported(lambda_context: FakeLambdaContext) -> None:
    tracking_id = _delivered(datetime.now(UTC))
    followed = report_interaction.lambda_handler(_event("follow_link.json", tracking_id), lambda_context)
    assert followed["statusCode"] == 302
    overall = _insights(lambda_context, "messages", MESSAGE)
    assert (overall["Opened"], overall["UniqueOpens"], overall["Clicks"], overall["ClickToOpenRate"]) == (1, 1, 1, 1.0)


@pytest.mark.usefixtures("aws_env")
def test_legacy_ids_and_reports_without_a_device_token_are_believed(lambda_context: FakeLambdaContext) -> None:
    tracking_id = _delivered(datetime.now(UTC), legacy=True)
    event = _event("report_event_v1.json", tracking_id)
    body = json.loads(event["body"])
    del body["DeviceToken"]
    event["body"] = json.dumps(body)
    response = report_interaction.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 200, response["body"]
    assert _insights(lambda_context, "messages", MESSAGE)["UniqueOpens"] == 1
    unknown = report_interaction.lambda_handler(
        _event("report_event.json", new_tracking_id(new_tracking_key())), lambda_context
    )
    assert unknown["statusCode"] == 400
    assert json.loads(unknown["body"])["Error"]["Details"][0]["Field"] == "TrackingId"


def _recipients(lambda_context: FakeLambdaContext) -> dict[str, Any]:
    event = copy.deepcopy(load_event("send_fanout/list_send_recipients.json"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/admin/v1/orgs/{ORG}/sends/{SEND}/recipients"
    event["pathParameters"] = {"orgId": ORG, "sendId": SEND}
    event["rawQueryString"], event["queryStringParameters"] = "", None
    response = send_fanout.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 200, response["body"]
    body: dict[str, Any] = json.loads(response["body"])
    return body


@pytest.mark.parametrize("form", ["compressed JSON", "first columnar"])
def test_outcomes_stored_in_a_form_before_answer_as_they_did(
    form: str, aws_env: ProvisionedResources, lambda_context: FakeLambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, queue in (("DELIVERY_QUEUE_URL", "DeliveryQueue"), ("AUDIENCE_QUEUE_URL", "AudienceQueue")):
        monkeypatch.setenv(name, aws_env.queue_urls[queue])
    monkeypatch.setenv("PUBLIC_ENDPOINT", "https://push.example.com")
    monkeypatch.setenv("SECRETS_PREFIX", "pushgate-test/")
    deps.reset()
    # Given a job's outcomes recorded today, and what the recipients route answers for them
    entries = ledger_forms.earlier_entries()
    assert ledger_forms.SEND == SEND and entries[0].link is not None
    tracking_id = _delivered(datetime.now(UTC), entries=entries)
    today = _recipients(lambda_context)
    assert [r["ProviderMessageId"] for r in today["Recipients"]] == [e.provider_message_id for e in entries]

    # When the same outcomes are stored as a form before stored them
    stored = ledger_forms.compressed_json_form() if form == "compressed JSON" else ledger_forms.FIRST_COLUMNAR_FORM
    deps.main_table().update_expression(
        job_outcomes_key(ORG, SEND, "00000"),
        "SET #entries = :entries",
        names={"#entries": "entries"},
        values={":entries": stored},
    )

    # Then the recipients, an open by tracking id and the redirect answer as they did
    assert _recipients(lambda_context) == today
    opened = report_interaction.lambda_handler(
        _event("report_event.json", tracking_id, DeviceToken=TOKEN), lambda_context
    )
    assert opened["statusCode"] == 202, opened["body"]
    click = report_interaction.lambda_handler(_event("follow_link.json", tracking_id), lambda_context)
    assert click["statusCode"] == 302
    assert click["headers"]["Location"] == entries[0].link
    overall = _insights(lambda_context, "messages", MESSAGE)
    assert (overall["Sent"], overall["UniqueOpens"], overall["UniqueClicks"]) == (2, 1, 1)
