"""Operator routes for sends: accept and fan out a send, read its totals and its per-recipient ledger.

``/admin/v1/orgs/{orgId}/sends`` (``GET``: the history, newest first; + ``/{sendId}``, ``/{sendId}/recipients``,
``/{sendId}/cancel``, ``/parked/resume``). A send names its ``Recipients`` (resolved here, per recipient) or an
``Audience``: a broadcast (the app's devices, read in bulk by the audience worker) or a segment
(a filter over the directory or a saved segment, whose people the audience worker reads page by
page). ``SendAt`` / ``SendAtLocalTime`` schedule a recipients' or a segment send (see
``docs/timing-and-fatigue.md``).
A send with an ``IdempotencyKey`` is answered once per org and key for 24 hours (Powertools
idempotency in the main table); repeating it returns the first answer and enqueues nothing.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from pushgate import deps
from pushgate.api.bodies import JsonBody
from pushgate.api.openapi import responds
from pushgate.api.resolver import make_resolver
from pushgate.api.routes_kit import MaxResults, NextToken, http_handler
from pushgate.api.schemas.segments import FilterAudience, SegmentAudience, audience_filter
from pushgate.api.schemas.sends import (
    CreateSendRequest,
    CreateSendResponse,
    LedgerEntryView,
    LedgerPageResponse,
    RejectedRecipient,
    ResumeParkedRequest,
    ResumeParkedResponse,
    SendHistoryEntry,
    SendHistoryResponse,
    SendResponse,
)
from pushgate.models.send import Outcome
from pushgate.observability import metrics
from pushgate.services.sends import audience, history, scheduled, segment_sends, send_fanout
from pushgate.services.sends.send_fanout import SendRecipient, SendTiming

app = make_resolver()
BASE = "/admin/v1/orgs/<orgId>/sends"
#: Bodies of up to 10,000 recipients with trigger data.
MAX_SEND_BODY_BYTES = 4 * 1024 * 1024


def _accept(request: CreateSendRequest, org_id: str) -> dict[str, Any]:
    # The request model has checked that it names either recipients or one audience (a broadcast unscheduled).
    if isinstance(request.Audience, FilterAudience | SegmentAudience):
        accepted = segment_sends.accept_segment_send(
            org_id,
            app_id=request.MobileAppId,
            message_id=request.MessageId,
            audience=audience_filter(request.Audience),
            journey_id=request.JourneyId,
            timing=SendTiming(send_at=request.SendAt, local_time=request.SendAtLocalTime),
            stores=deps.send_stores(),
            segments=deps.segment_repository(),
            pages=deps.audience_queue(),
            now=deps.clock(),
        )
    elif request.Audience is not None:
        accepted = audience.accept_broadcast(
            org_id,
            app_id=request.MobileAppId,
            message_id=request.MessageId,
            audience=request.Audience,
            journey_id=request.JourneyId,
            stores=deps.send_stores(),
            pages=deps.audience_queue(),
            shards=deps.audience_shards(),
        )
    else:
        assert request.Recipients is not None  # noqa: S101 - the model requires recipients without an audience
        accepted = send_fanout.accept_send(
            org_id,
            app_id=request.MobileAppId,
            message_id=request.MessageId,
            recipients=[SendRecipient(r.UserId, r.TriggerData or {}) for r in request.Recipients],
            journey_id=request.JourneyId,
            stores=deps.send_stores(),
            timing=SendTiming(send_at=request.SendAt, local_time=request.SendAtLocalTime),
            now=deps.clock(),
        )
    metrics.add_metric(name="SendsAccepted", unit="Count", value=1)
    metrics.add_metric(name="SendRecipientsAccepted", unit="Count", value=accepted.accepted)
    return CreateSendResponse(
        SendId=accepted.send_id,
        Accepted=accepted.accepted,
        Rejected=[RejectedRecipient(UserId=user_id, Reason=reason) for user_id, reason in accepted.rejected],
    ).model_dump(mode="json")


def _accept_once(request: CreateSendRequest, org_id: str) -> dict[str, Any]:
    # Registered here, not per invocation: Powertools idempotency imports boto3 and s3transfer, which
    # only sends with an IdempotencyKey should pay for.
    deps.send_idempotency_config().register_lambda_context(app.lambda_context)
    identity = {"org_id": org_id, "key": request.IdempotencyKey, "body": request.model_dump(mode="json")}
    return deps.send_once(lambda: _accept(request, org_id))(identity)


@app.post(BASE)
@responds(202)
def create_send(
    orgId: str, request: Annotated[CreateSendRequest, JsonBody(max_bytes=MAX_SEND_BODY_BYTES)]
) -> tuple[CreateSendResponse, int]:
    answer = _accept(request, orgId) if request.IdempotencyKey is None else _accept_once(request, orgId)
    return CreateSendResponse.model_validate(answer), 202


@app.get(BASE)
def list_sends(
    orgId: str,
    app_id: Annotated[str | None, Query(alias="MobileAppId", max_length=256)] = None,
    message_id: Annotated[str | None, Query(alias="MessageId", max_length=256)] = None,
    max_results: MaxResults = 25,
    next_token: NextToken = None,
) -> SendHistoryResponse:
    page, token = history.list_sends(
        orgId,
        app_id=app_id,
        message_id=message_id,
        limit=max_results,
        next_token=next_token,
        stores=deps.send_stores(),
    )
    return SendHistoryResponse(
        Sends=[SendHistoryEntry.from_send(s.send, s.message_name) for s in page], NextToken=token
    )


@app.get(f"{BASE}/<sendId>")
def get_send(orgId: str, sendId: str) -> SendResponse:
    return SendResponse.from_send(send_fanout.get_send(orgId, sendId, stores=deps.send_stores()))


@app.post(f"{BASE}/<sendId>/cancel")
def cancel_send(orgId: str, sendId: str) -> SendResponse:
    canceled = scheduled.cancel_send(orgId, sendId, stores=deps.send_stores(), now=deps.clock())
    metrics.add_metric(name="SendsCanceled", unit="Count", value=1)
    return SendResponse.from_send(canceled)


@app.get(f"{BASE}/<sendId>/recipients")
def list_send_recipients(
    orgId: str,
    sendId: str,
    limit: Annotated[int, Query(alias="Limit", ge=1, le=1000)] = 100,
    next_token: NextToken = None,
    outcome: Annotated[Outcome | None, Query(alias="Outcome")] = None,
) -> LedgerPageResponse:
    page = send_fanout.list_recipients(
        orgId, sendId, limit=limit, next_token=next_token, outcome=outcome, stores=deps.send_stores()
    )
    return LedgerPageResponse(
        Recipients=[LedgerEntryView.from_entry(entry) for entry in page.entries], NextToken=page.next_token
    )


@app.post(f"{BASE}/parked/resume")
def resume_parked(orgId: str, request: ResumeParkedRequest) -> ResumeParkedResponse:
    resumed = send_fanout.resume_parked(orgId, request.MobileAppId, stores=deps.send_stores())
    return ResumeParkedResponse(Resumed=resumed)


lambda_handler = http_handler(app)
