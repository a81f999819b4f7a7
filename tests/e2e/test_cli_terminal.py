"""The `pushgate` command as a person meets it: the installed script, in an 80-column terminal and piped.

Each command runs as a child process, once on a pseudo-terminal of 80 columns (what a laptop's
terminal shows) and once with stdout a pipe (``| less``, ``> file``, a script). Nothing it prints
may cut an id, a token or a number (Rich's ``…``): a one-time ApiToken stands on a line of its own,
and a table that does not fit the terminal changes layout instead of cutting its cells.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pushgate_local.runtime import LocalRuntime

pytestmark = pytest.mark.stack

PUSHGATE = Path(sys.executable).with_name("pushgate")
COLUMNS = 80
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")


@dataclass(frozen=True)
class Output:
    """What one run printed (ANSI escapes removed) and its exit code."""

    stdout: str
    stderr: str
    code: int

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


def _environment(config_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES", "PUSHGATE_ORG", "NO_COLOR"}}
    return {**env, "PUSHGATE_CONFIG": str(config_file), "TERM": "xterm-256color"}


def _on_terminal(args: list[str], env: dict[str, str], cwd: Path | None) -> Output:
    """Runs the command with stdin, stdout and stderr on an 80x24 pseudo-terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, COLUMNS, 0, 0))
    process = subprocess.Popen(  # noqa: S603 - the project's own installed script
        [str(PUSHGATE), *args], stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, close_fds=True
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError as error:  # EIO: the child closed the terminal
            if error.errno != errno.EIO:
                raise
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    code = process.wait(timeout=120)
    printed = _ANSI.sub("", b"".join(chunks).decode("utf-8", errors="replace")).replace("\r\n", "\n")
    return Output(printed, printed, code)


def _piped(args: list[str], env: dict[str, str], cwd: Path | None) -> Output:
    done = subprocess.run(  # noqa: S603 - the project's own installed script
        [str(PUSHGATE), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False
    )
    return Output(done.stdout, done.stderr, done.returncode)


Run = Callable[..., Output]


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-terminal") / "config.json"


@pytest.fixture(scope="module")
def terminal(config_file: Path) -> Run:
    """`pushgate ARGS...` on an 80-column terminal; the exit code must be ``expect`` (0)."""

    def run(*args: str, expect: int = 0, cwd: Path | None = None) -> Output:
        result = _on_terminal(list(args), _environment(config_file), cwd)
        assert result.code == expect, f"{args}: exit {result.code}\n{result.stdout}"
        return result

    return run


@pytest.fixture(scope="module")
def piped(config_file: Path) -> Run:
    """`pushgate ARGS...` with stdout and stderr pipes; the exit code must be ``expect`` (0)."""

    def run(*args: str, expect: int = 0, cwd: Path | None = None) -> Output:
        result = _piped(list(args), _environment(config_file), cwd)
        assert result.code == expect, f"{args}: exit {result.code}\n{result.stdout}\n{result.stderr}"
        return result

    return run


@dataclass(frozen=True)
class Workspace:
    org_id: str
    app_id: str
    api_token: str
    token_id: str
    message_id: str
    send_id: str
    folder: Path


def _register(public: httpx.Client, org_id: str, app_id: str, api_token: str, user_id: str) -> None:
    apns = hashlib.sha256(f"terminal-{user_id}".encode()).hexdigest()
    base = f"/api/v1.0/orgs/{org_id}/pushchannel/apps/{app_id}/devices/{user_id}"
    contracts = ({"ApnsDeviceContract": {"ApnsToken": apns}}, {"FcmDeviceContract": {"FcmToken": f"fcm-{user_id}"}})
    for contract in contracts:
        response = public.post(base, json={**contract, "ApiToken": api_token})
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def workspace(
    dev_stack: LocalRuntime, piped: Run, public: httpx.Client, tmp_path_factory: pytest.TempPathFactory
) -> Workspace:
    """Logged in through the real command; an org, an app, a token, a message sent to three people."""
    folder = tmp_path_factory.mktemp("terminal-workspace")
    piped("login", "--local", "--local-json", str(dev_stack.config.state_dir / "local.json"))
    org = json.loads(piped("orgs", "create", "Terminal org", "--use", "--json").stdout)
    credentials = json.loads(piped("dev", "credentials", "--output", str(folder), "--json").stdout)
    app = json.loads(
        piped(
            "apps", "create", "Terminal app", "--ios-p8", credentials["P8"], "--team-id", credentials["TeamId"],
            "--bundle-id", "com.contoso.terminal", "--android-service-account", credentials["ServiceAccount"],
            "--json",
        ).stdout
    )  # fmt: skip
    token = json.loads(piped("tokens", "create", app["MobileAppId"], "--label", "setup", "--json").stdout)
    people = [f"terminal-{n}" for n in range(3)]
    (folder / "people.json").write_text(
        json.dumps([{"contactid": p, "firstname": "Ana", "pushconsent": True} for p in people]), encoding="utf-8"
    )
    piped("contacts", "import", str(folder / "people.json"))
    for person in people:
        _register(public, org["OrgId"], app["MobileAppId"], token["ApiToken"], person)
    message = json.loads(
        piped("messages", "create", "--name", "Terminal welcome", "--title", "Hi", "--body", "Hello", "--json").stdout
    )
    piped("messages", "activate", message["MessageId"])
    (folder / "users.txt").write_text("\n".join(people) + "\n", encoding="utf-8")
    sent = json.loads(
        piped(
            "send", "--message", message["MessageId"], "--app", app["MobileAppId"],
            "--recipients", str(folder / "users.txt"), "--json",
        ).stdout
    )  # fmt: skip
    assert sent["Totals"]["Sent"] == 6
    return Workspace(
        org["OrgId"],
        app["MobileAppId"],
        token["ApiToken"],
        token["TokenId"],
        message["MessageId"],
        sent["Sends"][0]["SendId"],
        folder,
    )


def _assert_nothing_cut(output: Output, *whole: str) -> None:
    assert "…" not in output.stdout, output.stdout
    for value in whole:
        assert any(value in line for line in output.lines), f"{value!r} is not whole on one line:\n{output.stdout}"


@pytest.mark.parametrize("mode", ["terminal", "piped"])
def test_tokens_create_prints_the_token_whole_on_a_line_of_its_own(
    workspace: Workspace, mode: str, request: pytest.FixtureRequest, public: httpx.Client
) -> None:
    run: Run = request.getfixturevalue(mode)

    shown = run("tokens", "create", workspace.app_id, "--label", f"shown {mode}")

    lines = [line.strip() for line in shown.lines]
    tokens = [line for line in lines if line.startswith("pgat_")]
    assert len(tokens) == 1, shown.stdout
    assert "…" not in shown.stdout
    # The printed token is the real one: an app registers a device with it.
    registered = public.post(
        f"/api/v1.0/orgs/{workspace.org_id}/pushchannel/apps/{workspace.app_id}/devices/printed-{mode}",
        json={"FcmDeviceContract": {"FcmToken": f"fcm-printed-{mode}"}, "ApiToken": tokens[0]},
    )
    assert registered.status_code == 200, registered.text


@pytest.mark.parametrize("mode", ["terminal", "piped"])
def test_lists_never_cut_an_id(workspace: Workspace, mode: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(mode)

    apps = run("apps", "list")
    messages = run("messages", "list")
    tokens = run("tokens", "list", workspace.app_id)
    send = run("sends", "get", workspace.send_id)

    _assert_nothing_cut(apps, workspace.app_id, "Terminal app")
    _assert_nothing_cut(messages, workspace.message_id, "Terminal welcome")
    _assert_nothing_cut(tokens, workspace.token_id)
    _assert_nothing_cut(send, workspace.send_id, "Completed")


@pytest.mark.parametrize("mode", ["terminal", "piped"])
def test_scheduled_hours_and_insights_never_cut_a_number(
    workspace: Workspace, mode: str, request: pytest.FixtureRequest, piped: Run
) -> None:
    run: Run = request.getfixturevalue(mode)
    later = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    scheduled = json.loads(
        piped(
            "send", "--message", workspace.message_id, "--app", workspace.app_id,
            "--recipients", str(workspace.folder / "users.txt"), "--at", later.strftime("%Y-%m-%dT%H:%MZ"), "--json",
        ).stdout
    )  # fmt: skip
    send_id = scheduled["Sends"][0]["SendId"]

    shown = run("sends", "get", send_id)
    insights = run("insights", "message", workspace.message_id)
    piped("sends", "cancel", send_id)

    _assert_nothing_cut(shown, send_id, later.strftime("%Y-%m-%dT%H"), "Scheduled")
    headers = ("Inflow", "Sent", "NotSent", "UniqueOpens", "UniqueClicks", "ClickThroughRate", "ClickToOpenRate")
    _assert_nothing_cut(insights, workspace.message_id, *headers)
    overall = json.loads(piped("insights", "message", workspace.message_id, "--json").stdout)["Overall"]
    assert overall["Sent"] == 6
    assert _overall(insights, "Sent") == "6", insights.stdout


def _overall(output: Output, column: str) -> str:
    """A column of the insights' Overall row, in the layout it was printed in (a row, or a block)."""
    lines = [line.split() for line in output.lines]
    header = next(parts for parts in lines if parts[:1] == ["Day"] or parts[:2] == ["Day:", "Overall"])
    if header[0] == "Day":  # one row per line
        row = next(parts for parts in lines if parts[:1] == ["Overall"])
        return row[header.index(column)]
    block = lines[lines.index(header) :]
    return next(parts[1] for parts in block if parts[:1] == [f"{column}:"])


def test_wide_on_a_terminal_prints_one_row_per_line(workspace: Workspace, terminal: Run) -> None:
    shown = terminal("--wide", "apps", "list")

    rows = [line for line in shown.lines if workspace.app_id in line]
    assert len(rows) == 1
    assert "Terminal app" in rows[0]
    assert "…" not in shown.stdout


def test_contacts_import_names_the_failed_rows_contactid_and_line(workspace: Workspace, piped: Run) -> None:
    people = workspace.folder / "import.csv"
    people.write_text(
        "contactid,firstname,emailaddress1,pushconsent\n"
        "line-2,Ana,ana@contoso.example,true\n"
        'line-3,"Bo\nBoson",bo@contoso.example,true\n'  # a quoted cell over two lines: lines 3 and 4
        "line-5,Cy,not an address,true\n",
        encoding="utf-8",
    )

    shown = piped("contacts", "import", str(people), expect=1)
    reported = json.loads(piped("contacts", "import", str(people), "--json", expect=1).stdout)

    failed = [line.split() for line in shown.lines if "line-5" in line]
    assert len(failed) == 1, shown.stdout
    assert failed[0][:2] == ["5", "line-5"]
    assert "emailaddress1" in failed[0]
    assert [(r["Line"], r["Id"], r["Status"]) for r in reported["Results"]][2] == (5, "line-5", "Failed")


def test_insights_chart_is_titled_with_the_message_name_and_ticks_whole_numbers(
    workspace: Workspace, piped: Run
) -> None:
    chart = workspace.folder / "chart.svg"

    piped("insights", "message", workspace.message_id, "--chart", str(chart))
    piped("insights", "message", workspace.message_id, "--chart", str(workspace.folder / "chart.png"))

    svg = chart.read_text(encoding="utf-8")
    title = re.search(r'font-size="16" font-weight="bold">([^<]*)<', svg)
    assert title is not None
    assert title.group(1).startswith("Terminal welcome (message)")
    assert workspace.message_id not in title.group(1)
    ticks = re.findall(r'text-anchor="end">([^<]*)</text>', svg)
    assert ticks == ["0", "2", "4", "6"]  # six sent: steps of two, never 1.5
    assert (workspace.folder / "chart.png").read_bytes().startswith(b"\x89PNG")


def test_help_shows_no_bool_metavar(piped: Run) -> None:
    for command in (["--help"], ["apps", "create", "--help"], ["send", "--help"], ["tokens", "create", "--help"]):
        shown = piped(*command)
        assert "--json" in shown.stdout or "--wide" in shown.stdout
        assert "<bool>" not in shown.stdout, shown.stdout


def test_dev_credentials_are_accepted_by_the_local_simulator(
    dev_stack: LocalRuntime, piped: Run, tmp_path: Path, workspace: Workspace
) -> None:
    written = piped("dev", "credentials", cwd=tmp_path)
    again = piped("dev", "credentials", cwd=tmp_path, expect=2)
    app = json.loads(
        piped(
            "apps", "create", "Dev credentials app", "--ios-p8", "AuthKey_ABCDE12345.p8", "--team-id", "TEAM123456",
            "--bundle-id", "com.contoso.dev", "--android-service-account", "sa.json", "--json", cwd=tmp_path,
        ).stdout
    )  # fmt: skip
    checked = json.loads(piped("apps", "validate", app["MobileAppId"], "--json").stdout)

    assert "AuthKey_ABCDE12345.p8" in written.stdout
    assert "--force" in again.stderr
    assert (tmp_path / "AuthKey_ABCDE12345.p8").stat().st_mode & 0o077 == 0
    assert {p: c["Status"] for p, c in checked["CredentialValidation"].items()} == {"Ios": "Valid", "Android": "Valid"}
