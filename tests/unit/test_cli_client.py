"""The CLI's client without a network: SigV4 signing, error formatting, input files, chunks, chart."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from botocore.credentials import Credentials
from PIL import Image

from pushgate_cli.chart import insights_png, insights_svg
from pushgate_cli.client import ApiClient, BearerAuth, SigV4, admin_path, query_string
from pushgate_cli.errors import EXIT_REFUSED, EXIT_UNAVAILABLE, EXIT_USAGE, CliError, error_from_response
from pushgate_cli.files import chunks_by_size, read_people, read_recipients
from pushgate_cli.output import show_error

ACCESS_KEY, SECRET_KEY, REGION = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "eu-west-1"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def reference_signature(request: httpx.Request, secret: str, region: str) -> tuple[str, str]:
    """SigV4 computed from AWS's documented algorithm (not botocore): (signed headers, signature)."""
    amz_date = request.headers["x-amz-date"]
    url = urlsplit(str(request.url))
    names = sorted(n for n in ("content-type", "host", "x-amz-date", "x-amz-security-token") if n in request.headers)
    canonical_headers = "".join(f"{n}:{request.headers[n].strip()}\n" for n in names)
    query = "&".join(sorted(url.query.split("&"))) if url.query else ""
    canonical = "\n".join(
        [
            request.method,
            quote(url.path, safe="/~"),  # every segment encoded again, as all services but S3 expect
            query,
            canonical_headers,
            ";".join(names),
            hashlib.sha256(request.content).hexdigest(),
        ]
    )
    scope = f"{amz_date[:8]}/{region}/execute-api/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(f"AWS4{secret}".encode(), amz_date[:8])
    for part in (region, "execute-api", "aws4_request"):
        key = _hmac(key, part)
    return ";".join(names), hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _signed(credentials: Credentials, request: httpx.Request) -> httpx.Request:
    SigV4(credentials, REGION).sign(request)
    return request


def test_sigv4_signature_matches_the_documented_algorithm() -> None:
    body = {"Name": "Contoso"}
    request = httpx.Request(
        "POST",
        "https://abc123.execute-api.eu-west-1.amazonaws.com" + admin_path("org 1", "mobileapps") + "?Limit=5",
        json=body,
    )

    _signed(Credentials(ACCESS_KEY, SECRET_KEY), request)

    signed_headers, signature = reference_signature(request, SECRET_KEY, REGION)
    authorization = request.headers["authorization"]
    date = request.headers["x-amz-date"][:8]
    assert authorization == (
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{date}/{REGION}/execute-api/aws4_request, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    assert signed_headers == "content-type;host;x-amz-date"
    assert "x-amz-security-token" not in request.headers


def test_sigv4_with_a_session_token_signs_the_token_too() -> None:
    request = httpx.Request("GET", "https://api.example.com/admin/v1/orgs/o1" + query_string({"NextToken": "a b/c=="}))

    _signed(Credentials(ACCESS_KEY, SECRET_KEY, token="session-token"), request)

    signed_headers, signature = reference_signature(request, SECRET_KEY, REGION)
    assert request.headers["x-amz-security-token"] == "session-token"
    assert signed_headers == "host;x-amz-date;x-amz-security-token"
    assert request.headers["authorization"].endswith(f"Signature={signature}")
    assert request.url.query == b"NextToken=a%20b%2Fc%3D%3D"  # RFC 3986, as the canonical query needs


def test_sigv4_signature_changes_with_the_body() -> None:
    first = _signed(Credentials(ACCESS_KEY, SECRET_KEY), httpx.Request("POST", "https://h/x", json={"a": 1}))
    second = _signed(Credentials(ACCESS_KEY, SECRET_KEY), httpx.Request("POST", "https://h/x", json={"a": 2}))

    signatures = [reference_signature(r, SECRET_KEY, REGION)[1] for r in (first, second)]
    assert first.headers["authorization"].endswith(f"Signature={signatures[0]}")
    assert second.headers["authorization"].endswith(f"Signature={signatures[1]}")
    assert signatures[0] != signatures[1]


def test_api_error_body_becomes_field_and_problem() -> None:
    body = {
        "Error": {
            "Code": "ValidationError",
            "Message": "The request is invalid",
            "Details": [{"Field": "Ios.KeyId", "Problem": "must be 10 characters"}],
        }
    }

    error = error_from_response(400, body, json.dumps(body))

    assert (error.exit_code, error.status, error.code, error.message) == (
        EXIT_REFUSED,
        400,
        "ValidationError",
        "The request is invalid",
    )
    assert [(p.field, p.problem) for p in error.problems] == [("Ios.KeyId", "must be 10 characters")]
    assert error.as_json()["Error"]["Details"] == [{"Field": "Ios.KeyId", "Problem": "must be 10 characters"}]


def test_server_errors_and_gateway_answers_exit_3() -> None:
    gateway = error_from_response(403, {"message": "Forbidden"}, '{"message": "Forbidden"}')
    failed = error_from_response(502, None, "Bad Gateway")

    assert (gateway.exit_code, gateway.message) == (EXIT_REFUSED, "Forbidden")
    assert (failed.exit_code, failed.message) == (EXIT_UNAVAILABLE, "Bad Gateway")


def test_show_error_prints_code_message_and_each_field(capsys: pytest.CaptureFixture[str]) -> None:
    error = error_from_response(
        409,
        {
            "Error": {
                "Code": "Conflict",
                "Message": "not Active",
                "Details": [{"Field": "MessageId", "Problem": "Draft"}],
            }
        },
        "",
    )

    show_error(error, json_output=False)
    human = capsys.readouterr().err
    show_error(error, json_output=True)
    machine = json.loads(capsys.readouterr().err)

    assert human.splitlines() == ["Error (409 Conflict): not Active", "  MessageId: Draft"]
    assert machine["Error"]["Code"] == "Conflict"
    assert machine["Error"]["Details"] == [{"Field": "MessageId", "Problem": "Draft"}]


def test_client_turns_refusals_and_unreachable_hosts_into_cli_errors() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer key"
        if request.url.path == "/down":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(
            400, json={"Error": {"Code": "X", "Message": "bad", "Details": [{"Field": "Name", "Problem": "empty"}]}}
        )

    with ApiClient("http://api", BearerAuth("key"), transport=httpx.MockTransport(answer)) as client:
        with pytest.raises(CliError) as refused:
            client.call("POST", "/admin/v1/orgs", body={"Name": ""})
        with pytest.raises(CliError) as down:
            client.call("GET", "/down")

    assert refused.value.exit_code == EXIT_REFUSED
    assert refused.value.problems[0].field == "Name"
    assert down.value.exit_code == EXIT_UNAVAILABLE
    assert "cannot reach http://api" in down.value.message


def test_every_page_follows_next_token_to_the_last_page_keeping_the_query() -> None:
    pages = {None: (["a", "b"], "t1"), "t1": (["c"], "t2"), "t2": ([], None)}
    seen: list[dict[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params)
        seen.append(query)
        items, token = pages[query.get("NextToken")]
        return httpx.Response(200, json={"Things": items, "NextToken": token})

    with ApiClient("http://api", BearerAuth("key"), transport=httpx.MockTransport(answer)) as client:
        found = client.every_page("/things", "Things", {"MaxResults": 100, "Outcome": None})

    assert found == ["a", "b", "c"]
    assert seen == [
        {"MaxResults": "100"},
        {"MaxResults": "100", "NextToken": "t1"},
        {"MaxResults": "100", "NextToken": "t2"},
    ]


def test_csv_people_types_consent_and_custom_attributes(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "contactid,firstname,pushconsent,customattributes.tier,mobilephone\nc1,Ana,yes,gold,\nc2,Bo,false,,+15550100\n",
        encoding="utf-8",
    )

    people = read_people(path)

    assert people == [
        {"contactid": "c1", "firstname": "Ana", "pushconsent": True, "customattributes": {"tier": "gold"}},
        {"contactid": "c2", "firstname": "Bo", "pushconsent": False, "mobilephone": "+15550100"},
    ]


def test_csv_people_with_a_bad_boolean_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("contactid,pushconsent\nc1,maybe\n", encoding="utf-8")

    with pytest.raises(CliError) as raised:
        read_people(path)

    assert raised.value.exit_code == EXIT_USAGE
    assert "line 2" in raised.value.message


def test_recipients_files_drop_duplicates(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("# ids\nu1\n\nu2\nu1\n", encoding="utf-8")
    (tmp_path / "r.csv").write_text('UserId,TriggerData\nu1,"{""order"": 7}"\nu2,\n', encoding="utf-8")
    (tmp_path / "r.json").write_text('["u1", {"UserId": "u2", "TriggerData": {"a": 1}}]', encoding="utf-8")

    assert read_recipients(tmp_path / "r.txt") == [{"UserId": "u1"}, {"UserId": "u2"}]
    assert read_recipients(tmp_path / "r.csv") == [{"UserId": "u1", "TriggerData": {"order": 7}}, {"UserId": "u2"}]
    assert read_recipients(tmp_path / "r.json") == [{"UserId": "u1"}, {"UserId": "u2", "TriggerData": {"a": 1}}]


def test_chunks_respect_count_and_size() -> None:
    items = [{"id": i, "pad": "x" * 100} for i in range(25)]

    by_count = chunks_by_size(items, max_items=10, max_bytes=10**6)
    by_size = chunks_by_size(items, max_items=1000, max_bytes=500)

    assert [len(c) for c in by_count] == [10, 10, 5]
    assert all(len(json.dumps(c)) <= 500 for c in by_size)
    assert [item for chunk in by_size for item in chunk] == items


def test_chart_has_one_bar_per_day_and_series() -> None:
    days = [{"Day": "2026-12-01", "Sent": 10, "UniqueOpens": 4, "UniqueClicks": 1}, {"Day": "2026-12-02", "Sent": 0}]

    svg = insights_svg("messages <m1>", days)

    assert svg.startswith("<svg")
    assert svg.count("<rect x=") == 6 + 3  # 2 days x 3 series, plus the legend
    assert "messages &lt;m1&gt;" in svg
    assert "2026-12-01 Sent: 10" in svg


def test_png_chart_draws_the_same_bars() -> None:
    days = [{"Day": f"2026-12-{d:02}", "Sent": 10 * (d % 2), "UniqueOpens": 4, "UniqueClicks": 0} for d in range(1, 15)]

    png = insights_png("messages m1", days)

    image = Image.open(io.BytesIO(png))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert image.size == (900, 420)
    colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=100_000)}
    sent, opens, clicks = (0x4C, 0x78, 0xA8), (0xF5, 0x85, 0x18), (0x54, 0xA2, 0x4B)
    assert sent in colours and opens in colours and clicks in colours  # the clicks colour only in the legend
    # The tallest bars (Sent = 10 on odd days) reach the axis top; a day with Sent = 0 draws none.
    pixels = image.convert("RGB").load()
    first_day_sent_x = int(60 + (900 - 60 - 20) / 14 * 0.1) + 2
    assert pixels[first_day_sent_x, 52] == sent
    assert pixels[first_day_sent_x + int((900 - 80) / 14), 300] != sent


@pytest.mark.parametrize(
    ("peak", "ticks"),
    [(1, ["0", "1"]), (5, ["0", "1", "2", "3", "4", "5"]), (6, ["0", "2", "4", "6"]),
     (10, ["0", "2", "4", "6", "8", "10"]), (11, ["0", "5", "10", "15"]), (1234, ["0", "500", "1,000", "1,500"])],
)  # fmt: skip
def test_chart_ticks_are_whole_steps_of_1_2_or_5(peak: int, ticks: list[str]) -> None:
    svg = insights_svg("Welcome (message)", [{"Day": "2026-12-01", "Sent": peak, "UniqueOpens": 0}])

    assert re.findall(r'text-anchor="end">([^<]*)</text>', svg) == ticks


def test_a_command_starts_without_botocore_or_pillow() -> None:
    # Every command imports the whole CLI; botocore (only an AWS target signs) and Pillow (only a PNG
    # chart draws) were over a third of its start, paid by each call against `make dev`.
    loaded = subprocess.run(
        [sys.executable, "-c", "import json, sys, pushgate_cli.app; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    modules = set(json.loads(loaded))
    assert {"pushgate_cli.commands.insights", "pushgate_cli.client", "pushgate_cli.chart"} <= modules
    assert not {name for name in modules if name.split(".")[0] in {"botocore", "boto3", "PIL"}}
