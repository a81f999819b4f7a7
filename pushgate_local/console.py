"""Serves the web console (``console/``) from the dev server at ``/console/``.

The files are served as they are in the repository (no build step); ``config.json`` is written per
run, as ``make console-publish`` writes it for AWS, and tells the pages where the API is and how to
sign in.
"""

from __future__ import annotations

import json
import mimetypes
from http import HTTPStatus
from pathlib import Path
from typing import Any

CONSOLE_PREFIX = "/console/"
CONFIG_NAME = "config.json"
#: The pages load only their own scripts and styles; images are the messages' https images.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}

Response = tuple[int, list[tuple[str, str]], bytes]


def content_type(path: Path) -> str:
    """The ``content-type`` of a console file (the same table ``console-publish`` uploads with)."""
    return _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _headers(kind: str) -> list[tuple[str, str]]:
    return [
        ("content-type", kind),
        ("cache-control", "no-cache"),
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ]


def _not_found(raw_path: str) -> Response:
    body = {"Error": {"Code": "NotFound", "Message": f"no console file {raw_path}", "Details": []}}
    return HTTPStatus.NOT_FOUND, [("content-type", "application/json")], json.dumps(body).encode()


def console_response(root: Path, raw_path: str, settings: dict[str, Any]) -> Response:
    """Answers ``GET /console/...``: a file under ``root``, the generated ``config.json``, or a 404.

    Args:
        root: The ``console/`` folder.
        raw_path: The request path (``/console`` redirects to ``/console/``).
        settings: The body of ``config.json``.
    """
    if raw_path == CONSOLE_PREFIX.rstrip("/"):
        return HTTPStatus.FOUND, [("location", CONSOLE_PREFIX), ("content-type", "text/plain")], b""
    relative = raw_path[len(CONSOLE_PREFIX) :] or "index.html"
    if relative == CONFIG_NAME:
        return HTTPStatus.OK, _headers(_TYPES[".json"]), json.dumps(settings).encode()
    base = root.resolve()
    candidate = (base / relative).resolve()
    # Only files inside console/: "..", absolute parts and links out of the folder find nothing.
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return _not_found(raw_path)
    return HTTPStatus.OK, _headers(content_type(candidate)), candidate.read_bytes()
