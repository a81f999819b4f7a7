"""What a command opens: the saved target's client, and the org it works in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pushgate_cli.client import ApiClient, QueryParams, admin_path
from pushgate_cli.config import load_target, resolve_org


@contextmanager
def api() -> Iterator[ApiClient]:
    """The client of the target `pushgate login` saved."""
    with ApiClient.for_target(load_target()) as client:
        yield client


@contextmanager
def in_org(org: str | None) -> Iterator[tuple[ApiClient, str]]:
    """The client and the org (``--org``, ``$PUSHGATE_ORG`` or the saved default)."""
    target = load_target()
    org_id = resolve_org(target, org)
    with ApiClient.for_target(target) as client:
        yield client, org_id


def call_in_org(org: str | None, method: str, *parts: str, body: Any = None) -> Any:
    """The org's answer to one request to ``/admin/v1/orgs/{org}/<parts>`` (for a command that sends only it)."""
    with in_org(org) as (client, org_id):
        return client.call(method, admin_path(org_id, *parts), body=body)


def every_page_in_org(org: str | None, *parts: str, items: str, params: QueryParams | None = None) -> list[Any]:
    """The ``items`` of every page of the org's listing ``/admin/v1/orgs/{org}/<parts>``."""
    with in_org(org) as (client, org_id):
        return client.every_page(admin_path(org_id, *parts), items, params)
