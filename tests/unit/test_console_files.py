"""The console's static files agree with the code they describe, and need no build step."""

from __future__ import annotations

import re
from pathlib import Path

from pushgate.services.directory.person_attributes import PERSON_ATTRIBUTES
from pushgate_local.console import content_type

CONSOLE = Path(__file__).resolve().parents[2] / "console"


def test_the_personalization_picker_lists_the_directory_attributes() -> None:
    source = (CONSOLE / "js" / "attributes.js").read_text(encoding="utf-8")
    listed = re.search(r"PERSON_ATTRIBUTES = \[(.*?)\];", source, re.S)

    assert listed is not None
    assert tuple(re.findall(r'"([a-z0-9_]+)"', listed.group(1))) == PERSON_ATTRIBUTES


def test_every_module_import_names_a_file_that_exists() -> None:
    # Plain ES modules served as they are: a wrong relative path would only fail in the browser.
    for module in CONSOLE.rglob("*.js"):
        for target in re.findall(r'^import .*? from "(\.[^"]+)";$', module.read_text(encoding="utf-8"), re.M):
            assert (module.parent / target).resolve().is_file(), f"{module.name} imports {target}"


def test_nothing_is_stored_beyond_the_session() -> None:
    for module in CONSOLE.rglob("*.js"):
        text = module.read_text(encoding="utf-8")
        assert "localStorage" not in text, module.name
        assert "document.cookie" not in text, module.name


def test_console_files_get_their_content_types() -> None:
    assert content_type(CONSOLE / "index.html") == "text/html; charset=utf-8"
    assert content_type(CONSOLE / "js" / "main.js") == "text/javascript; charset=utf-8"
    assert content_type(CONSOLE / "app.css") == "text/css; charset=utf-8"
