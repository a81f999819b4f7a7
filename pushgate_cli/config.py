"""Where the CLI sends requests: the target `pushgate login` chose, kept in a small JSON file.

The file (``~/.config/pushgate/config.json``, or ``$PUSHGATE_CONFIG``) holds no secret: for the
local runtime it names the ``local.json`` the dev server writes, which is read again at every call
(its API URL changes with each `make dev`, and the admin key stays where the runtime put it); for
AWS it holds the API URL and region, and credentials come from botocore's chain at every call.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pushgate_cli.errors import CliError, usage_error

Mode = Literal["local", "aws"]
CONFIG_ENV = "PUSHGATE_CONFIG"
DEFAULT_LOCAL_JSON = Path(".pushgate") / "local.json"


def config_path() -> Path:
    """The config file: ``$PUSHGATE_CONFIG`` or ``$XDG_CONFIG_HOME/pushgate/config.json``."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "pushgate" / "config.json"


def default_local_json() -> Path:
    """Where the dev server writes ``local.json`` (``$PUSHGATE_STATE_DIR`` or ``.pushgate/``)."""
    state_dir = os.environ.get("PUSHGATE_STATE_DIR")
    return Path(state_dir) / "local.json" if state_dir else DEFAULT_LOCAL_JSON


@dataclass(frozen=True)
class Target:
    """The chosen API: local (a ``local.json``) or AWS (a URL and region), and a default org."""

    mode: Mode
    api_url: str = ""
    region: str = ""
    local_json: str = ""
    org: str = ""

    def with_org(self, org: str) -> Target:
        return Target(self.mode, self.api_url, self.region, self.local_json, org)


@dataclass(frozen=True)
class LocalSettings:
    """What the CLI reads from the local runtime's ``local.json``."""

    api_url: str
    admin_key: str
    region: str


def load_target() -> Target:
    """The saved target.

    Raises:
        CliError: (exit 3) when nothing is saved yet, or the file is unreadable.
    """
    path = config_path()
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError("not logged in: run 'pushgate login --local' or 'pushgate login --api-url URL'") from None
    except (OSError, ValueError) as error:
        raise CliError(f"cannot read {path}: {error}") from None
    if not isinstance(raw, dict) or raw.get("mode") not in ("local", "aws"):
        raise CliError(f"{path} is not a pushgate config; run 'pushgate login' again")
    return Target(
        mode=raw["mode"],
        api_url=str(raw.get("api_url", "")),
        region=str(raw.get("region", "")),
        local_json=str(raw.get("local_json", "")),
        org=str(raw.get("org", "")),
    )


def save_target(target: Target) -> Path:
    """Writes the target (owner-readable only) and returns the file's path."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(target), indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def read_local_settings(path: Path) -> LocalSettings:
    """The API URL, admin key and region of a running local stack.

    Raises:
        CliError: (exit 3) when the file is missing (the stack is not running) or incomplete.
    """
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"{path} not found: the local stack is not running; run `make dev`") from None
    except (OSError, ValueError) as error:
        raise CliError(f"cannot read {path}: {error}") from None
    if not isinstance(raw, dict) or not raw.get("api_url") or not raw.get("admin_key"):
        raise CliError(f"{path} has no api_url and admin_key")
    return LocalSettings(str(raw["api_url"]).rstrip("/"), str(raw["admin_key"]), str(raw.get("region", "")))


def resolve_org(target: Target, org: str | None) -> str:
    """The org of a command: ``--org`` (or ``$PUSHGATE_ORG``), else the one `pushgate orgs use` saved."""
    chosen = org or target.org
    if not chosen:
        raise usage_error("no org: pass --org ORG_ID (or set PUSHGATE_ORG, or run 'pushgate orgs use ORG_ID')")
    return chosen
