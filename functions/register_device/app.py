"""CI-J's public device API: register (v1 and v2, single and batch), registration status, cleanup.

Routes under ``/api/v1.0/orgs/{orgId}/``; every body carries its ``ApiToken``. A rejected request
writes nothing: bodies and tokens are checked before anything is enqueued or stored.
"""

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types

from pushgate import deps
from pushgate.api.openapi import responds
from pushgate.api.resolver import make_resolver
from pushgate.api.routes_kit import http_handler
from pushgate.api.schemas.devices import (
    DEVICE_BODY,
    CleanupBody,
    DeviceListResponse,
    DeviceSummary,
    LegacyRegisterDeviceBody,
    RegisterDeviceBody,
    RegistrationAccepted,
    RegistrationStatusItem,
    StatusBatchItemBody,
    StatusBody,
    StatusQuery,
    cleanup_item,
    device_batch,
    legacy_registration_item,
    registration_item,
    registration_options,
    status_query,
    status_request_ids,
)
from pushgate.observability import metrics
from pushgate.services.devices import device_registration
from pushgate.services.devices.device_registration import CleanupItem, RegistrationItem

app = make_resolver()
V1 = "/api/v1.0/orgs/<orgId>/pushchannel/apps/<appId>/devices/<userId>"
V2 = "/api/v1.0/orgs/<orgId>/pushdeviceregistration/devices"


def _json(status: int, body: Any) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def _empty(status: int) -> Response[str]:
    return Response(status_code=status, body="")


@app.post(V1)
def register_v1(
    orgId: str, appId: str, userId: str, body: Annotated[LegacyRegisterDeviceBody, DEVICE_BODY]
) -> Response[str]:
    item = legacy_registration_item(body, appId, userId)
    device_registration.register_now(
        orgId.lower(),
        item,
        authenticator=deps.api_token_authenticator(),
        devices=deps.device_repository(),
        now=deps.clock(),
    )
    metrics.add_metric(name="DevicesRegisteredV1", unit="Count", value=1)
    return _empty(200)


@app.post(V2)
@responds(202)
def register(orgId: str, body: Annotated[RegisterDeviceBody, DEVICE_BODY]) -> Response[str]:
    options = registration_options(app.current_event.headers)
    item = registration_item(body)
    (request_id,) = device_registration.accept_registrations(
        orgId.lower(),
        [item],
        options=options,
        authenticator=deps.api_token_authenticator(),
        queue=deps.registration_queue(),
        devices=deps.device_repository(),
        now=deps.clock(),
    )
    metrics.add_metric(name="RegistrationsAccepted", unit="Count", value=1)
    if not options.track:
        return _empty(202)
    return _json(202, RegistrationAccepted(RegistrationRequestId=request_id).model_dump())


@app.post(f"{V2}/batch")
@responds(202)
def register_batch(
    orgId: str, items: Annotated[list[RegistrationItem], device_batch(RegisterDeviceBody, registration_item)]
) -> Response[str]:
    options = registration_options(app.current_event.headers)
    request_ids = device_registration.accept_registrations(
        orgId.lower(),
        items,
        options=options,
        authenticator=deps.api_token_authenticator(),
        queue=deps.registration_queue(),
        devices=deps.device_repository(),
        now=deps.clock(),
    )
    metrics.add_metric(name="RegistrationsAccepted", unit="Count", value=len(items))
    if not options.track:
        return _empty(202)
    return _json(202, [RegistrationAccepted(RegistrationRequestId=rid).model_dump() for rid in request_ids])


@app.post(f"{V2}/status")
def registration_status(orgId: str, body: Annotated[StatusBody, DEVICE_BODY]) -> Response[str]:
    request_ids = status_request_ids(body)
    outcomes = device_registration.registration_statuses(
        orgId.lower(),
        body.MobileAppId,
        body.ApiToken,
        request_ids,
        authenticator=deps.api_token_authenticator(),
        statuses=deps.registration_status_repository(),
    )
    items = [RegistrationStatusItem.from_outcome(o).model_dump(exclude_none=True) for o in outcomes]
    return _json(200, items)


@app.get(f"{V2}/status/batch")
@app.post(f"{V2}/status/batch")
def registration_status_batch(
    orgId: str,
    queries: Annotated[list[StatusQuery], device_batch(StatusBatchItemBody, status_query, accept_object=True)],
) -> Response[str]:
    # The form CI-J documented for one day in 2024 (a GET with a body); answered as the status route.
    outcomes = device_registration.registration_statuses_by_token(
        orgId.lower(),
        [(q.request_id, q.api_token, q.app_id) for q in queries],
        authenticator=deps.api_token_authenticator(),
        statuses=deps.registration_status_repository(),
    )
    items = [RegistrationStatusItem.from_outcome(o).model_dump(exclude_none=True) for o in outcomes]
    return _json(200, items)


@app.post(f"{V2}/cleanup")
@responds(202)
def cleanup(orgId: str, body: Annotated[CleanupBody, DEVICE_BODY]) -> Response[str]:
    item = cleanup_item(body)
    removed = device_registration.cleanup_devices(
        orgId.lower(), [item], authenticator=deps.api_token_authenticator(), devices=deps.device_repository()
    )
    metrics.add_metric(name="DevicesCleanedUp", unit="Count", value=removed)
    return _empty(202)


@app.post(f"{V2}/cleanup/batch")
@responds(202)
def cleanup_batch(
    orgId: str, items: Annotated[list[CleanupItem], device_batch(CleanupBody, cleanup_item, accept_object=True)]
) -> Response[str]:
    removed = device_registration.cleanup_devices(
        orgId.lower(), items, authenticator=deps.api_token_authenticator(), devices=deps.device_repository()
    )
    metrics.add_metric(name="DevicesCleanedUp", unit="Count", value=removed)
    return _empty(202)


@app.get("/admin/v1/orgs/<orgId>/mobileapps/<appId>/devices/<userId>")
def list_devices(orgId: str, appId: str, userId: str) -> DeviceListResponse:
    devices = device_registration.list_user_devices(
        orgId, appId, userId, stores=deps.mobile_app_stores(), devices=deps.device_repository()
    )
    return DeviceListResponse(Devices=[DeviceSummary.from_device(d) for d in devices])


lambda_handler = http_handler(app)
