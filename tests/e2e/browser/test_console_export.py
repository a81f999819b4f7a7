"""The console's Export CSV in a real browser: the file it downloads carries the export's neutralised
cells (a bot click's user agent that would start a formula begins with ``'``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from pushgate_local.runtime import LocalRuntime
from tests.e2e.conftest import ADMIN_KEY
from tests.e2e.test_csv_export import HOSTILE_AGENTS, plant_hostile_clicks

pytestmark = pytest.mark.stack


def test_export_csv_downloads_formula_cells_as_text(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, page: Page
) -> None:
    org_id, _ = plant_hostile_clicks(dev_stack, admin, public)
    page.goto(f"{dev_stack.api_url}/console/")
    page.get_by_label("Admin key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Org id").fill(org_id)
    page.get_by_role("button", name="Open org").click()
    expect(page.get_by_text(f"Org: CSV org ({org_id})")).to_be_visible()

    page.get_by_role("link", name="Insights").click()
    page.get_by_role("button", name="Show").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()

    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    agents = {row["UserAgent"] for row in rows if row["InteractionType"] == "BotLinkClicked"}
    assert agents == {f"'{agent}" for agent in HOSTILE_AGENTS}
