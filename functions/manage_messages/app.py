"""Operator routes for push messages: authoring, versions, lifecycle, preview and test send.

``/admin/v1/orgs/{orgId}/pushmessages`` (+ ``/{messageId}``, ``/activate``, ``/deactivate``,
``/preview``, ``/testsend``, ``/versions``), and ``/pushmessages/preview`` for content not saved yet.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response

from pushgate import deps
from pushgate.api.bodies import JsonBody
from pushgate.api.openapi import responds
from pushgate.api.resolver import make_resolver
from pushgate.api.routes_kit import NextToken, PageLimit, created, http_handler, no_content
from pushgate.api.schemas.push_messages import (
    MessageDocument,
    PreviewRequestBody,
    PushMessageListResponse,
    PushMessageResponse,
    PushMessageVersionListResponse,
    PushMessageVersionResponse,
    TestSendRequestBody,
    UnsavedPreviewRequestBody,
    body_of_test_send,
    preview_body,
)
from pushgate.models.message_template import MessageContent
from pushgate.observability import metrics
from pushgate.services.messages import message_previews, push_messages

app = make_resolver()
BASE = "/admin/v1/orgs/<orgId>/pushmessages"


@app.post(BASE)
@responds(201)
def create_push_message(
    orgId: str,
    document: Annotated[
        MessageDocument,
        JsonBody(description="The message content (see docs/push-messages.md)", documented_as=MessageContent),
    ],
) -> tuple[PushMessageResponse, int]:
    message = push_messages.create_message(orgId, document.fields, stores=deps.message_stores())
    return created(PushMessageResponse.from_message(message), "PushMessagesCreated")


@app.get(BASE)
def list_push_messages(
    orgId: str,
    limit: PageLimit = 50,
    next_token: NextToken = None,
) -> PushMessageListResponse:
    found, token = push_messages.list_messages(orgId, limit=limit, next_token=next_token, stores=deps.message_stores())
    return PushMessageListResponse(PushMessages=[PushMessageResponse.from_message(m) for m in found], NextToken=token)


@app.get(f"{BASE}/<messageId>")
def get_push_message(orgId: str, messageId: str) -> PushMessageResponse:
    return PushMessageResponse.from_message(push_messages.find_message(orgId, messageId, stores=deps.message_stores()))


@app.patch(f"{BASE}/<messageId>")
def update_push_message(
    orgId: str,
    messageId: str,
    document: Annotated[MessageDocument, JsonBody(description="A JSON merge patch of the message content")],
) -> PushMessageResponse:
    updated = push_messages.update_message(orgId, messageId, document.fields, stores=deps.message_stores())
    return PushMessageResponse.from_message(updated)


@app.delete(f"{BASE}/<messageId>")
@responds(204)
def delete_push_message(orgId: str, messageId: str) -> Response[str]:
    push_messages.delete_message(orgId, messageId, stores=deps.message_stores())
    return no_content()


@app.post(f"{BASE}/<messageId>/activate")
def activate_push_message(orgId: str, messageId: str) -> PushMessageResponse:
    return PushMessageResponse.from_message(
        push_messages.activate_message(orgId, messageId, stores=deps.message_stores())
    )


@app.post(f"{BASE}/<messageId>/deactivate")
def deactivate_push_message(orgId: str, messageId: str) -> PushMessageResponse:
    return PushMessageResponse.from_message(
        push_messages.deactivate_message(orgId, messageId, stores=deps.message_stores())
    )


@app.get(f"{BASE}/<messageId>/versions")
def list_push_message_versions(orgId: str, messageId: str) -> PushMessageVersionListResponse:
    versions = push_messages.list_versions(orgId, messageId, stores=deps.message_stores())
    return PushMessageVersionListResponse(Versions=[PushMessageVersionResponse.from_version(v) for v in versions])


@app.get(f"{BASE}/<messageId>/versions/<version>")
def get_push_message_version(orgId: str, messageId: str, version: int) -> PushMessageVersionResponse:
    found = push_messages.get_version(orgId, messageId, version, stores=deps.message_stores())
    return PushMessageVersionResponse.from_version(found)


def _whom(request: PreviewRequestBody) -> message_previews.PreviewRequest:
    """Whom a preview renders for, as the request names them."""
    return message_previews.PreviewRequest(
        user_id=request.UserId,
        contact=request.Contact,
        trigger=request.TriggerData,
        locale=request.Locale,
        app_id=request.MobileAppId,
    )


@app.post(f"{BASE}/preview")
def preview_unsaved_push_message(orgId: str, request: UnsavedPreviewRequestBody) -> dict[str, Any]:
    # The console's editor previews at every keystroke; saving each one would make a version each.
    preview = message_previews.preview_content(
        orgId,
        request.Message,
        _whom(request),
        stores=deps.message_stores(),
        directory=deps.recipient_directory(),
    )
    return preview_body(preview)


@app.post(f"{BASE}/<messageId>/preview")
def preview_push_message(
    orgId: str, messageId: str, request: Annotated[PreviewRequestBody, JsonBody(required=False)]
) -> dict[str, Any]:
    preview = message_previews.preview_message(
        orgId,
        messageId,
        _whom(request),
        stores=deps.message_stores(),
        directory=deps.recipient_directory(),
    )
    return preview_body(preview)


@app.post(f"{BASE}/<messageId>/testsend")
def test_send_push_message(orgId: str, messageId: str, request: TestSendRequestBody) -> dict[str, Any]:
    sent = message_previews.send_test_message(
        orgId,
        messageId,
        message_previews.TestSendRequest(
            app_id=request.MobileAppId,
            user_id=request.UserId,
            device_token=request.DeviceToken,
            platform=request.Platform,
            contact=request.Contact,
            trigger=request.TriggerData,
            locale=request.Locale,
        ),
        stores=deps.message_stores(),
        directory=deps.recipient_directory(),
        devices=deps.device_finder(),
        sender=deps.push_sender(),
    )
    metrics.add_metric(name="PushMessageTestSends", unit="Count", value=1)
    return body_of_test_send(sent)


lambda_handler = http_handler(app)
