"""Ports of the push message use cases.

``RecipientDirectory`` gives the attributes ``{{contact.*}}`` placeholders read and the person's
locale (adapter: ``pushgate.services.messages.recipient_directory``); ``DeviceFinder`` gives the Active
devices of a user for an app, for test sends by ``UserId`` (adapter:
``pushgate.services.devices.device_targets``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # Annotations only: the delivery worker imports these ports, and the template models are not
    # its to load (see ``MessageStatusReader``).
    from pushgate.models.message_status import MessageStatus
    from pushgate.models.message_template import MessageTemplate, MessageVersion
    from pushgate.models.mobile_app import MobileApp
    from pushgate.models.push import Platform


@dataclass(frozen=True)
class PersonData:
    """What the directory knows about one recipient, for personalization.

    Attributes:
        attributes: The record as stored: attribute name → value (``firstname``, ``emailaddress1``,
            ``contactid``..., ``customattributes`` as an object), read by ``{{contact.<name>}}``
            (also ``{{lead.*}}`` / ``{{profile.*}}``).
        locale: The person's locale tag (``pt-BR``), if known.
    """

    attributes: Mapping[str, Any] = field(default_factory=dict)
    locale: str | None = None


class RecipientDirectory(Protocol):
    """Finds people of an org's directory by their directory id."""

    def find_person(self, org_id: str, user_id: str) -> PersonData | None:
        """The person's personalization data, or ``None`` when the id is unknown."""


@dataclass(frozen=True)
class DeviceTarget:
    """One registered device of a user for an app.

    Attributes:
        platform: APNs or FCM.
        token: The device token.
    """

    platform: Platform
    token: str


class DeviceFinder(Protocol):
    """Lists the currently valid devices of a user for an app."""

    def devices_of(self, org_id: str, app_id: str, user_id: str) -> list[DeviceTarget]:
        """Every valid device of the user for the app (empty when none)."""


class AppFinder(Protocol):
    """Finds mobile app configurations (the part of ``MobileAppRepository`` messages need)."""

    def get(self, org_id: str, app_id: str) -> MobileApp | None:
        """Finds a configuration of an org, or ``None``."""


class MessageStatusReader(Protocol):
    """A message's lifecycle status alone: what the delivery worker checks on every job."""

    def status_of(self, org_id: str, message_id: str) -> tuple[MessageStatus, int] | None:
        """Just the status and current version, or ``None`` when the message is gone."""


class MessageTemplateRepository(MessageStatusReader, Protocol):
    """Stores messages (current version + lifecycle) and their immutable versions."""

    def create(self, message: MessageTemplate) -> None:
        """Stores a new message and its version 1 atomically."""

    def get(self, org_id: str, message_id: str) -> MessageTemplate | None:
        """The current state of a message, or ``None``."""

    def list_page(self, org_id: str, *, limit: int, next_token: str | None) -> tuple[list[MessageTemplate], str | None]:
        """One page of an org's messages and the token of the next page."""

    def save_version(self, message: MessageTemplate, *, expected_revision: int) -> None:
        """Writes a changed message and its new version atomically.

        Raises:
            ConflictError: The message changed since it was read.
        """

    def save_status(self, message: MessageTemplate, *, expected_revision: int) -> None:
        """Writes a lifecycle change.

        Raises:
            ConflictError: The message changed since it was read.
        """

    def delete(self, message: MessageTemplate) -> None:
        """Deletes a message (if still at its revision) and all its versions.

        Raises:
            ConflictError: The message changed since it was read.
        """

    def get_version(self, org_id: str, message_id: str, version: int) -> MessageVersion | None:
        """One version, or ``None``."""

    def list_versions(self, org_id: str, message_id: str) -> list[MessageVersion]:
        """Every version, oldest first."""
