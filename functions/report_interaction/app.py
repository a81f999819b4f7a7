"""Public interaction routes: CI-J's events API (v1 and v2) and the tracked-link redirect.

``POST /api/v1.0/orgs/{orgId}/pushdatareceiver/events`` (v2, 202) and
``POST /api/v1.0/orgs/{orgId}/pushchannel/event/trackings/{trackingId}`` (v1, 200) take no ApiToken,
as in CI-J: the event counts only when its TrackingId and DeviceToken name a notification sent in
that org (anything else is 400 and records nothing). ``GET``/``HEAD /l/{trackingId}`` records the
click and redirects (302) to the URL that notification carried; an unknown id gets a 404 page.
"""

import html
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types

from pushgate import deps
from pushgate.api.bodies import JsonBody
from pushgate.api.openapi import responds
from pushgate.api.resolver import make_resolver
from pushgate.api.routes_kit import http_handler
from pushgate.api.schemas.interactions import EventBody, LegacyEventBody
from pushgate.config import InteractionSettings, settings
from pushgate.errors import NotFoundError
from pushgate.models.interaction import InteractionType
from pushgate.observability import metrics
from pushgate.services.interactions import interactions

app = make_resolver()
ORG = "/api/v1.0/orgs/<orgId>"
LINK = "/l/<trackingId>"
#: Event bodies are three short fields.
MAX_EVENT_BODY_BYTES = 16 * 1024
_NOT_FOUND_PAGE = (
    "<!doctype html><html><head><meta charset=utf-8><title>Link not available</title></head>"
    "<body><h1>This link is not available</h1><p>{}</p></body></html>"
)


def _count(recorded: list[Any]) -> None:
    for interaction in recorded:
        metrics.add_metric(name=f"Interactions{interaction.type.value}", unit="Count", value=1)


@app.post(f"{ORG}/pushdatareceiver/events")
@responds(202)
def report_event(orgId: str, body: Annotated[EventBody, JsonBody(max_bytes=MAX_EVENT_BODY_BYTES)]) -> Response[str]:
    recorded = interactions.report_event(
        orgId,
        tracking_id=body.TrackingId,
        device_token=body.DeviceToken,
        status=body.PushNotificationStatus,
        stores=deps.interaction_stores(),
    )
    _count(recorded)
    return Response(status_code=202, body="")


@app.post(f"{ORG}/pushchannel/event/trackings/<trackingId>")
def report_event_v1(
    orgId: str, trackingId: str, body: Annotated[LegacyEventBody, JsonBody(max_bytes=MAX_EVENT_BODY_BYTES)]
) -> Response[str]:
    recorded = interactions.report_event(
        orgId,
        tracking_id=trackingId,
        device_token=body.DeviceToken,
        status=body.PushNotificationStatus,
        stores=deps.interaction_stores(),
    )
    _count(recorded)
    return Response(status_code=200, body="")


def _follow(tracking_id: str) -> Response[str]:
    http = app.current_event.request_context.http
    try:
        click = interactions.follow_link(
            tracking_id,
            method=http.method,
            user_agent=app.current_event.headers.get("user-agent") or http.user_agent or "",
            source_ip=http.source_ip,
            stores=deps.interaction_stores(),
            human_delay=settings(InteractionSettings).human_click_delay,
        )
    except NotFoundError as error:
        page = _NOT_FOUND_PAGE.format(html.escape(error.message))
        return Response(status_code=404, content_type=content_types.TEXT_HTML, body=page)
    if click.interaction is not None:
        bot = click.interaction.type is InteractionType.BOT_LINK_CLICKED
        metrics.add_metric(name="BotLinkClicks" if bot else "LinkClicks", unit="Count", value=1)
    # Never cached: every click must come back here to be counted; the target is not leaked onward.
    headers = {"Location": click.target_url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return Response(status_code=302, headers=headers, body="")


#: The link is opened in a browser: its answers are a redirect or a page, not JSON.
LINK_RESPONSES: dict[int, Any] = {
    302: {"description": "Redirect to the URL the notification carried"},
    404: {
        "description": "Unknown tracking id: a page saying so",
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
}


@app.get(LINK, responses=LINK_RESPONSES)
@responds(302)
def follow_link(trackingId: str) -> Response[str]:
    return _follow(trackingId)


@app.head(LINK, responses=LINK_RESPONSES)
@responds(302)
def follow_link_head(trackingId: str) -> Response[str]:
    return _follow(trackingId)


lambda_handler = http_handler(app)
