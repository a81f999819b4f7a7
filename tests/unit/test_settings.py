"""One settings getter for every settings model: read from the environment once per execution
environment, validated, and failing fast with the variable's name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from pushgate import deps
from pushgate.config import InteractionSettings, TableSettings, WebhookSettings, clear_settings, settings


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    clear_settings()
    yield
    clear_settings()


def test_settings_are_read_once_per_execution_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "pushgate-main")
    first = settings(TableSettings)

    monkeypatch.setenv("TABLE_NAME", "another-table")

    assert settings(TableSettings) is first
    assert first.table_name == "pushgate-main"


def test_each_model_is_read_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "pushgate-main")
    monkeypatch.setenv("INTERACTION_RETENTION_DAYS", "30")
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "2.5")

    assert settings(TableSettings).table_name == "pushgate-main"
    assert settings(InteractionSettings).retention_days == 30
    assert settings(WebhookSettings).timeout_s == 2.5


def test_a_missing_required_variable_fails_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TABLE_NAME", raising=False)

    with pytest.raises(ValidationError, match="TABLE_NAME"):
        settings(TableSettings)


def test_deps_reset_forgets_the_settings_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "pushgate-main")
    settings(TableSettings)
    monkeypatch.setenv("TABLE_NAME", "another-table")

    deps.reset()

    assert settings(TableSettings).table_name == "another-table"
