"""The directory and user mapping.

Operator routes under ``/admin/v1/orgs/{orgId}/``: ``contacts``, ``leads``, ``profiles`` (PUT / GET /
PATCH / DELETE by id, POST, OData-style list and lookup, ``/import``; the person page's ``/{id}/devices``,
``/{id}/links`` and ``/{id}/notifications``) and the app-user links
``mobileapps/{appId}/users/{appUserId}``. Public route: ``POST /api/v1.0/orgs/{orgId}/pushusermapping/resolve``.
"""

from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from pushgate import deps
from pushgate.api.bodies import JsonBody
from pushgate.api.openapi import query_parameters, responds
from pushgate.api.resolver import make_resolver
from pushgate.api.routes_kit import created, http_handler, no_content
from pushgate.api.schemas.directory import (
    MAX_IMPORT_BODY_BYTES,
    AppUserLinkRequest,
    AppUserLinkResponse,
    ErasureResponse,
    ImportRequest,
    ImportResponse,
    JsonObject,
    PersonDevicesResponse,
    PersonDeviceView,
    PersonLinksResponse,
    PersonNotificationsResponse,
    PersonNotificationView,
    ResolveRequest,
    ResolveResponse,
)
from pushgate.errors import InvalidRequestError, NotFoundError
from pushgate.models.directory import EntityType
from pushgate.observability import logger, metrics
from pushgate.services.directory import directory, person_page, user_mapping

app = make_resolver()
COLLECTION = "/admin/v1/orgs/<orgId>/<entitySet>"
LINK = "/admin/v1/orgs/<orgId>/mobileapps/<appId>/users/<appUserId>"
#: A person's body on create and upsert (the service checks the attributes).
PersonAttributes = Annotated[JsonObject, JsonBody(description="The person's Dataverse-style attributes")]


def _entity_type(entity_set: str) -> EntityType:
    entity_type = EntityType.from_entity_set(entity_set)
    if entity_type is None:
        raise NotFoundError(
            message=f"no collection {entity_set[:64]!r}; the directory has contacts, leads and profiles"
        )
    return entity_type


def _known_collection(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    # An unknown collection is a 404 whatever the rest of the request holds, its body included
    # (which the route reads before its handler runs).
    entity_set = app.path_parameters.get("entitySet")
    if entity_set is not None:
        _entity_type(entity_set)
    return next_middleware(resolver)


app.use(middlewares=[_known_collection])


def _query() -> dict[str, str]:
    # Read from the event: OData's "$" names are not valid Python parameter names for the resolver.
    return dict(app.current_event.query_string_parameters or {})


@app.get(COLLECTION)
@query_parameters(
    **{
        "$filter": {"type": "string", "maxLength": 4096},
        "$select": {"type": "string", "maxLength": 1024},
        "$top": {"type": "integer", "minimum": 1, "maximum": 1000},
        "$skiptoken": {"type": "string", "maxLength": 1024},
    }
)
def query_people(orgId: str, entitySet: str) -> dict[str, Any]:
    options = _query()
    page = directory.query_people(orgId, _entity_type(entitySet), options, stores=deps.directory_stores())
    body: dict[str, Any] = {"value": [directory.person_view(p, page.select) for p in page.people]}
    if page.next_skiptoken is not None:
        body["@odata.nextLink"] = (
            f"{app.current_event.raw_path}?{urlencode({**options, '$skiptoken': page.next_skiptoken})}"
        )
    return body


@app.post(COLLECTION)
@responds(201)
def create_person(
    orgId: str,
    entitySet: str,
    body: PersonAttributes,
) -> tuple[dict[str, Any], int]:
    entity_type = _entity_type(entitySet)
    person = directory.create_person(orgId, entity_type, body.root, stores=deps.directory_stores())
    return created(directory.person_view(person), "PeopleWritten")


@app.post(f"{COLLECTION}/import")
def import_people(
    orgId: str, entitySet: str, request: Annotated[ImportRequest, JsonBody(max_bytes=MAX_IMPORT_BODY_BYTES)]
) -> ImportResponse:
    entity_type = _entity_type(entitySet)
    results = directory.import_people(orgId, entity_type, request.Items, stores=deps.directory_stores())
    response = ImportResponse.from_results(results)
    metrics.add_metric(name="PeopleImported", unit="Count", value=len(results) - response.Counts["Failed"])
    return response


@app.put(f"{COLLECTION}/<personId>")
@responds(200, 201)
def upsert_person(
    orgId: str,
    entitySet: str,
    personId: str,
    body: PersonAttributes,
) -> tuple[dict[str, Any], int]:
    entity_type = _entity_type(entitySet)
    person, outcome = directory.write_person(orgId, entity_type, personId, body.root, stores=deps.directory_stores())
    return directory.person_view(person), 201 if outcome is directory.WriteOutcome.CREATED else 200


@app.get(f"{COLLECTION}/<personId>")
def get_person(orgId: str, entitySet: str, personId: str) -> dict[str, Any]:
    person = directory.get_person(orgId, _entity_type(entitySet), personId, stores=deps.directory_stores())
    return directory.person_view(person)


@app.patch(f"{COLLECTION}/<personId>")
def patch_person(
    orgId: str,
    entitySet: str,
    personId: str,
    body: Annotated[JsonObject, JsonBody(description="The attributes to change (null clears one)")],
) -> dict[str, Any]:
    person, _ = directory.write_person(
        orgId, _entity_type(entitySet), personId, body.root, patch=True, stores=deps.directory_stores()
    )
    return directory.person_view(person)


@app.delete(f"{COLLECTION}/<personId>")
@responds(200, 204)
@query_parameters(erase={"type": "string", "enum": ["true", "false"]})
def delete_person(orgId: str, entitySet: str, personId: str) -> Response[str]:
    entity_type = _entity_type(entitySet)
    erase = _query().get("erase", "false").lower()
    if erase not in {"true", "false"}:
        raise InvalidRequestError.for_field("erase", "must be true or false")
    report = user_mapping.erase_person(
        orgId, entity_type, personId, directory=deps.directory_stores(), erasers=deps.person_erasers()
    )
    logger.info("person erased", extra={"entity_type": entity_type.value, "removed": report.removed})
    if not report.found_anything:
        # Nothing held under the id in this org (unknown, another org's, or erased already): as every route, 404.
        raise NotFoundError(message=f"{entity_type.value} {report.person_id} not found")
    if erase == "true":
        return Response(
            status_code=200,
            content_type=content_types.APPLICATION_JSON,
            body=ErasureResponse.from_report(report).model_dump_json(),
        )
    return no_content()


@app.get(f"{COLLECTION}/<personId>/devices")
def list_person_devices(orgId: str, entitySet: str, personId: str) -> PersonDevicesResponse:
    found = person_page.person_devices(orgId, _entity_type(entitySet), personId, stores=deps.person_page_stores())
    return PersonDevicesResponse(Devices=[PersonDeviceView.from_device(device) for device in found])


@app.get(f"{COLLECTION}/<personId>/links")
def list_person_links(orgId: str, entitySet: str, personId: str) -> PersonLinksResponse:
    links = person_page.person_links(orgId, _entity_type(entitySet), personId, stores=deps.person_page_stores())
    return PersonLinksResponse(Links=[AppUserLinkResponse.from_link(link) for link in links])


@app.get(f"{COLLECTION}/<personId>/notifications")
def list_person_notifications(orgId: str, entitySet: str, personId: str) -> PersonNotificationsResponse:
    search = person_page.person_notifications(
        orgId, _entity_type(entitySet), personId, stores=deps.person_page_stores()
    )
    return PersonNotificationsResponse(
        Notifications=[PersonNotificationView.from_notification(n) for n in search.notifications],
        SendsSearched=search.sends_searched,
        SendsSkipped=search.sends_skipped,
        RecentSendsLimit=person_page.RECENT_SENDS,
        MaxLedgerEntries=person_page.MAX_LEDGER_ENTRIES,
    )


@app.put(LINK)
@responds(200, 201)
def put_app_user_link(
    orgId: str, appId: str, appUserId: str, request: AppUserLinkRequest
) -> tuple[AppUserLinkResponse, int]:
    link, created = user_mapping.put_app_user_link(
        orgId,
        appId,
        appUserId,
        entity_type=request.EntityType,
        entity_id=request.EntityId,
        directory=deps.directory_stores(),
        apps=deps.mobile_app_stores(),
        links=deps.app_user_link_repository(),
    )
    return AppUserLinkResponse.from_link(link), 201 if created else 200


@app.get(LINK)
def get_app_user_link(orgId: str, appId: str, appUserId: str) -> AppUserLinkResponse:
    link = user_mapping.get_app_user_link(
        orgId, appId, appUserId, apps=deps.mobile_app_stores(), links=deps.app_user_link_repository()
    )
    return AppUserLinkResponse.from_link(link)


@app.delete(LINK)
@responds(204)
def delete_app_user_link(orgId: str, appId: str, appUserId: str) -> Response[str]:
    user_mapping.delete_app_user_link(
        orgId, appId, appUserId, apps=deps.mobile_app_stores(), links=deps.app_user_link_repository()
    )
    return no_content()


@app.post("/api/v1.0/orgs/<orgId>/pushusermapping/resolve")
def resolve_user(orgId: str, request: ResolveRequest) -> ResolveResponse:
    resolved = user_mapping.resolve_user(
        orgId,
        app_id=request.MobileAppId,
        api_token=request.ApiToken,
        email=request.Email,
        phone=request.Phone,
        app_user_id=request.AppUserId,
        authenticator=deps.api_token_authenticator(),
        people=deps.person_repository(),
        links=deps.app_user_link_repository(),
    )
    metrics.add_metric(name="UsersResolved", unit="Count", value=1)
    return ResolveResponse(UserId=resolved.user_id, EntityType=resolved.entity_type.value)


lambda_handler = http_handler(app)
