"""The history of an org's sends: newest first, all of them or one message's and/or one app's.

Each send is listed from the moment it is created (its history items are written in its creation
transaction); sends created before the history existed are not listed (``docs/data-model.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pushgate.ids import parse_uuid
from pushgate.models.send import SendRecord
from pushgate.services.apps.orgs import get_org
from pushgate.services.sends.ports import SendHistoryFilter
from pushgate.services.sends.send_fanout import SendStores


@dataclass(frozen=True)
class SendSummary:
    """One send of the history, with its message's current name (``None`` once the message is deleted)."""

    send: SendRecord
    message_name: str | None


def list_sends(
    org_id: str,
    *,
    app_id: str | None,
    message_id: str | None,
    limit: int,
    next_token: str | None,
    stores: SendStores,
) -> tuple[list[SendSummary], str | None]:
    """One page of an org's sends, newest first, and the token of the next page.

    Args:
        org_id: The org.
        app_id: Only this app's sends.
        message_id: Only this message's sends.
        limit: Sends per page.
        next_token: The token of the page before.
        stores: The send ports.

    Raises:
        InvalidRequestError: An id is not a UUID, or the token belongs to another listing.
        NotFoundError: No such org.
    """
    org = get_org(org_id, orgs=stores.orgs)
    app = parse_uuid(app_id, "MobileAppId") if app_id else None
    message = parse_uuid(message_id, "MessageId") if message_id else None
    only = SendHistoryFilter(app_id=app, message_id=message)
    sends, token = stores.sends.history_page(org.org_id, only, limit=limit, next_token=next_token)
    names: dict[str, str | None] = {}
    for send in sends:
        if send.message_id not in names:
            found = stores.messages.get(org.org_id, send.message_id)
            names[send.message_id] = found.content.name if found is not None else None
    return [SendSummary(send, names[send.message_id]) for send in sends], token
