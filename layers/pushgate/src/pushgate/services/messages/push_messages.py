"""Push messages: authoring, versions and the lifecycle ``Draft`` → ``Active`` ⇄ ``Inactive``.

Every save validates the whole content (templates included) before writing. A change (PATCH)
writes a new immutable version next to the current state in one transaction, so a send can always
render exactly the version it recorded. Lifecycle changes do not create versions. Only ``Active``
messages may be sent by journeys; the delivery worker re-reads the status (a small projected
read) before handing a queued notification to a provider, so deactivating stops what is queued.
An ``Active`` message cannot be deleted: deactivate it first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from pushgate.credentials.inputs import problems_from_validation_error
from pushgate.errors import ConflictError, FieldProblem, InvalidRequestError, NotFoundError
from pushgate.ids import new_id
from pushgate.models.message_status import MessageStatus
from pushgate.models.message_template import AUTHORING, MessageContent, MessageTemplate, MessageVersion
from pushgate.services.apps.orgs import find_in_org, get_org
from pushgate.services.messages.message_rendering import PREVIEW_TRACKING_ID, CompiledMessage, Recipient
from pushgate.services.messages.ports import AppFinder, MessageTemplateRepository
from pushgate.services.ports import OrgRepository

#: Which transitions are allowed: target status → statuses it may be reached from.
_ALLOWED_FROM: dict[MessageStatus, frozenset[MessageStatus]] = {
    MessageStatus.ACTIVE: frozenset({MessageStatus.DRAFT, MessageStatus.INACTIVE}),
    MessageStatus.INACTIVE: frozenset({MessageStatus.ACTIVE}),
}


@dataclass(frozen=True)
class MessageStores:
    """The ports the message use cases work with.

    Attributes:
        orgs: Orgs (every route checks its org first).
        messages: Messages and their versions.
        apps: Mobile app configurations (previews show an app's apns-topic; test sends use its credentials).
    """

    orgs: OrgRepository
    messages: MessageTemplateRepository
    apps: AppFinder


def _now() -> datetime:
    return datetime.now(UTC)


def validate_content(document: Mapping[str, Any]) -> MessageContent:
    """Validates authored content given in API shape (PascalCase).

    Args:
        document: The fields as the client sent them (or the merged result of a PATCH).

    Returns:
        The content.

    Raises:
        InvalidRequestError: Every problem, by field (template problems with their character offset).
    """
    try:
        return MessageContent.model_validate(document, context=AUTHORING)
    except ValidationError as error:
        problems = problems_from_validation_error(error)
        summary = "; ".join(f"{p.field}: {p.problem}" for p in problems)
        raise InvalidRequestError(message=summary, problems=problems) from None


def _not_expired(content: MessageContent, at: datetime) -> None:
    """A message is not saved with an expiry already behind it: every send of it would send nothing."""
    if content.expires_at is not None and content.expires_at <= at:
        raise InvalidRequestError.for_field(
            "ExpiresAt", "has passed; set a future time (with a time zone) or use TimeToLiveSeconds"
        )


def find_message(org_id: str, message_id: str, *, stores: MessageStores) -> MessageTemplate:
    """Finds a message of an org.

    Raises:
        InvalidRequestError: An id is not a UUID.
        NotFoundError: No such org, or no such message in it.
    """
    return find_in_org(
        org_id, message_id, orgs=stores.orgs, get=stores.messages.get, what="push message", id_field="MessageId"
    )


def create_message(
    org_id: str,
    document: Mapping[str, Any],
    *,
    stores: MessageStores,
    now: Callable[[], datetime] = _now,
    make_id: Callable[[], str] = new_id,
) -> MessageTemplate:
    """Creates a message in ``Draft`` as version 1.

    Args:
        org_id: Owner org.
        document: The content as sent (PascalCase).
        stores: The ports.
        now: Clock.
        make_id: Id factory.

    Raises:
        InvalidRequestError: Content problems, by field (an ``ExpiresAt`` already past included).
        NotFoundError: No such org.
    """
    org = get_org(org_id, orgs=stores.orgs)
    content = validate_content(document)
    created_at = now()
    _not_expired(content, created_at)
    message = MessageTemplate(
        org_id=org.org_id,
        message_id=make_id(),
        status=MessageStatus.DRAFT,
        version=1,
        revision=1,
        content=content,
        created_at=created_at,
        updated_at=created_at,
        status_changed_at=created_at,
    )
    stores.messages.create(message)
    return message


def update_message(
    org_id: str,
    message_id: str,
    changes: Mapping[str, Any],
    *,
    stores: MessageStores,
    now: Callable[[], datetime] = _now,
) -> MessageTemplate:
    """Applies a JSON merge patch to the content and saves it as a new version.

    Top-level fields that are sent replace the current ones whole (``OnClick``, ``Ios``,
    ``Localizations`` included); ``null`` removes an optional field. The status is kept.

    Args:
        org_id: Owner org.
        message_id: The message.
        changes: The PATCH body (PascalCase).
        stores: The ports.
        now: Clock.

    Raises:
        InvalidRequestError: Nothing sent, the merged content is invalid (by field), or the change
            sets an ``ExpiresAt`` already past.
        NotFoundError: No such org or message.
        ConflictError: The message changed concurrently; nothing was written.
    """
    current = find_message(org_id, message_id, stores=stores)
    if not changes:
        raise InvalidRequestError.for_field("body", "names nothing to change")
    merged = current.content.to_api()
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    for required in ("Name", "Title", "Body"):
        if required in changes and changes[required] is None:
            raise InvalidRequestError.for_field(required, "cannot be null")
    content = validate_content(merged)
    updated_at = now()
    if changes.get("ExpiresAt") is not None:
        # Only when this change sets it: a message that expired since is still editable.
        _not_expired(content, updated_at)
    updated = current.model_copy(
        update={
            "content": content,
            "version": current.version + 1,
            "revision": current.revision + 1,
            "updated_at": updated_at,
        }
    )
    stores.messages.save_version(updated, expected_revision=current.revision)
    return updated


def _transition(
    org_id: str,
    message_id: str,
    target: MessageStatus,
    *,
    stores: MessageStores,
    now: Callable[[], datetime],
) -> MessageTemplate:
    current = find_message(org_id, message_id, stores=stores)
    if current.status not in _ALLOWED_FROM[target]:
        allowed = " or ".join(sorted(s.value for s in _ALLOWED_FROM[target]))
        problem = f"is {current.status.value}; only a {allowed} message can become {target.value}"
        raise ConflictError(message=f"Status: {problem}", problems=[FieldProblem("Status", problem)])
    changed_at = now()
    updated = current.model_copy(
        update={
            "status": target,
            "revision": current.revision + 1,
            "updated_at": changed_at,
            "status_changed_at": changed_at,
        }
    )
    stores.messages.save_status(updated, expected_revision=current.revision)
    return updated


def activate_message(
    org_id: str, message_id: str, *, stores: MessageStores, now: Callable[[], datetime] = _now
) -> MessageTemplate:
    """Makes a Draft or Inactive message sendable by journeys.

    Activation renders the message for a recipient without data (every placeholder at its
    default) in every locale and refuses when a payload would already exceed 4096 bytes.

    Raises:
        ConflictError: The message is already Active, or changed concurrently.
        NotificationTooLargeError: Even the default rendering is too large (names the field).
        NotFoundError: No such org or message.
    """
    current = find_message(org_id, message_id, stores=stores)
    compiled = CompiledMessage(current.content)
    for locale in [None, *(current.content.localizations or {})]:
        rendered = compiled.render(Recipient(locale=locale))
        compiled.build_payloads(rendered, tracking_id=PREVIEW_TRACKING_ID, now=now())
    return _transition(org_id, message_id, MessageStatus.ACTIVE, stores=stores, now=now)


def deactivate_message(
    org_id: str, message_id: str, *, stores: MessageStores, now: Callable[[], datetime] = _now
) -> MessageTemplate:
    """Stops an Active message: journeys cannot send it and queued notifications are dropped.

    Raises:
        ConflictError: The message is not Active, or changed concurrently.
        NotFoundError: No such org or message.
    """
    return _transition(org_id, message_id, MessageStatus.INACTIVE, stores=stores, now=now)


def delete_message(org_id: str, message_id: str, *, stores: MessageStores) -> None:
    """Deletes a Draft or Inactive message and all its versions.

    Raises:
        ConflictError: The message is Active (deactivate it first), or changed concurrently.
        NotFoundError: No such org or message.
    """
    current = find_message(org_id, message_id, stores=stores)
    if current.status is MessageStatus.ACTIVE:
        problem = "is Active; deactivate the message before deleting it"
        raise ConflictError(message=f"Status: {problem}", problems=[FieldProblem("Status", problem)])
    stores.messages.delete(current)


def list_messages(
    org_id: str, *, limit: int, next_token: str | None, stores: MessageStores
) -> tuple[list[MessageTemplate], str | None]:
    """One page of an org's messages."""
    org = get_org(org_id, orgs=stores.orgs)
    return stores.messages.list_page(org.org_id, limit=limit, next_token=next_token)


def list_versions(org_id: str, message_id: str, *, stores: MessageStores) -> list[MessageVersion]:
    """Every version of a message, oldest first."""
    message = find_message(org_id, message_id, stores=stores)
    return stores.messages.list_versions(message.org_id, message.message_id)


def get_version(org_id: str, message_id: str, version: int, *, stores: MessageStores) -> MessageVersion:
    """One version of a message.

    Raises:
        NotFoundError: No such org, message or version.
    """
    message = find_message(org_id, message_id, stores=stores)
    if not 1 <= version <= message.version:
        raise NotFoundError(message=f"push message {message.message_id} has no version {version}")
    found = stores.messages.get_version(message.org_id, message.message_id, version)
    if found is None:
        raise NotFoundError(message=f"push message {message.message_id} has no version {version}")
    return found


def sendable_version(org_id: str, message_id: str, *, stores: MessageStores) -> int | None:
    """The version journeys may send now, or ``None`` when the message is not Active (or gone).

    The delivery worker calls this before handing queued notifications to a provider.
    """
    state = stores.messages.status_of(org_id, message_id)
    if state is None or state[0] is not MessageStatus.ACTIVE:
        return None
    return state[1]
