"""Ports of the directory use cases; the adapters live in ``pushgate.adapters.dynamodb.directory``."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from pushgate.models.directory import AppUserLink, EntityType, Person


class PersonRepository(Protocol):
    """Stores people and their lookup items."""

    def get(self, org_id: str, entity_type: EntityType, person_id: str) -> Person | None:
        """One person, or ``None``."""

    def get_many(self, org_id: str, refs: Sequence[tuple[EntityType, str]]) -> list[Person]:
        """The people that exist among ``refs``."""

    def list_page(
        self, org_id: str, entity_type: EntityType, *, limit: int, after_id: str | None
    ) -> tuple[list[Person], bool]:
        """A page in id order after ``after_id``, and whether more follow."""

    def read_page(
        self, org_id: str, entity_type: EntityType, *, after_id: str | None, limit: int
    ) -> tuple[list[Person], str | None]:
        """Up to ``limit`` people in id order after ``after_id``, read eventually consistently (a
        bulk read for filters and segments); and the id to continue after (``None`` after the last)."""

    def find_by_lookup(
        self, org_id: str, field: str, normalised_value: str, entity_type: EntityType | None
    ) -> list[tuple[EntityType, str]]:
        """The people whose indexed ``field`` has this normalised value."""

    def save(self, person: Person, *, previous: Person | None) -> None:
        """Writes a person and its lookups, if it is still as ``previous`` (ConflictError otherwise)."""

    def delete(self, person: Person) -> int:
        """Deletes a person still at its revision, with its lookups; returns the number of lookups."""

    def many_writes(self, org_id: str) -> AbstractContextManager[PersonRepository]:
        """A repository for many writes in one org (an import), which may share reads between them."""


class AppUserLinkRepository(Protocol):
    """Stores app-user links and their reverse items under the linked person."""

    def get(self, org_id: str, app_id: str, app_user_id: str) -> AppUserLink | None:
        """One link, or ``None``."""

    def save(self, link: AppUserLink, *, previous: AppUserLink | None) -> None:
        """Writes a link if the person exists and the link is still as ``previous`` (ConflictError otherwise)."""

    def delete(self, link: AppUserLink) -> None:
        """Deletes a link."""

    def list_for_person(self, org_id: str, entity_type: EntityType, person_id: str) -> list[AppUserLink]:
        """Every link pointing at a person (by app, then app user id)."""

    def delete_for_person(self, org_id: str, entity_type: EntityType, person_id: str) -> int:
        """Deletes every link pointing at a person; returns how many."""
