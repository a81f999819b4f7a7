"""The console's SigV4 module (console/js/sigv4.js, run by Node) signs exactly as botocore does.

Node runs the module as the browser would load it (an ES module with WebCrypto); botocore's
``SigV4Auth`` signs the same request (same credentials, time, URL, headers, body) and the two
``Authorization`` headers must be equal, byte for byte.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from pushgate_local.simulator import find_node

SIGV4_JS = Path(__file__).resolve().parents[2] / "console" / "js" / "sigv4.js"
REGION = "eu-west-1"
WHEN = datetime(2026, 12, 6, 18, 30, 5, tzinfo=UTC)
CREDENTIALS = {"AccessKeyId": "ASIAEXAMPLEKEYID0001", "SecretKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
API = "https://abc123.execute-api.eu-west-1.amazonaws.com"

RUNNER = """
import { sign } from %s;
const cases = JSON.parse(process.argv[1]);
const out = [];
for (const c of cases) out.push(await sign({ ...c, date: new Date(c.date) }));
console.log(JSON.stringify(out));
"""


def sign_in_node(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    script = RUNNER % json.dumps(SIGV4_JS.as_uri())
    done = subprocess.run(  # noqa: S603 - node running the script above
        [find_node(), "--input-type=module", "-e", script, json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    signed: list[dict[str, Any]] = json.loads(done.stdout)
    return signed


def sign_with_botocore(case: dict[str, Any], url: str) -> dict[str, str]:
    credentials = Credentials(CREDENTIALS["AccessKeyId"], CREDENTIALS["SecretKey"], case.get("token"))
    request = AWSRequest(method=case["method"], url=url, data=case["body"].encode(), headers=case["headers"])
    with mock.patch("botocore.auth.get_current_datetime", return_value=WHEN.replace(tzinfo=None)):
        SigV4Auth(credentials, "execute-api", REGION).add_auth(request)
    return dict(request.headers.items())


def for_node(case: dict[str, Any]) -> dict[str, Any]:
    credentials = {**CREDENTIALS, "SessionToken": case.get("token")}
    return {**case, "credentials": credentials, "region": REGION, "date": WHEN.isoformat()}


CASES = [
    {"method": "GET", "url": f"{API}/admin/v1/orgs", "headers": {}, "body": ""},
    {
        "method": "POST",
        "url": f"{API}/admin/v1/orgs/3f1c/mobileapps",
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"Name": "Contoso Café ☕", "Ios": {"Sandbox": True}}, ensure_ascii=False),
    },
    {  # a session token (the identity pool's credentials always carry one), a query to sort and encode
        "method": "GET",
        "url": f"{API}/admin/v1/orgs/o%201/contacts?Limit=5&Email=ana%2Bx%40example.com&NextToken=a%2Fb%3D%3D",
        "headers": {},
        "body": "",
        "token": "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN/+=",
    },
    {  # what encodeURIComponent leaves alone (!'()*) is encoded before signing and sending
        "method": "DELETE",
        "url": f"{API}/admin/v1/orgs/o(1)/segments/it's*?filter=name eq 'x'",
        "headers": {},
        "body": "",
        "token": "t",
    },
    {  # the dev server: a port in the host, plain http
        "method": "PATCH",
        "url": "http://127.0.0.1:8123/admin/v1/orgs/o1",
        "headers": {"content-type": "application/json"},
        "body": "{}",
    },
]


def test_sigv4_js_signs_as_botocore_does() -> None:
    signed = sign_in_node([for_node(case) for case in CASES])

    for case, result in zip(CASES, signed, strict=True):
        # botocore signs the URL the module sends (its canonical form), with the same headers.
        expected = sign_with_botocore(case, result["url"])
        assert result["headers"]["Authorization"] == expected["Authorization"], case["url"]
        assert result["headers"]["X-Amz-Date"] == expected["X-Amz-Date"] == "20261206T183005Z"
        assert result["headers"].get("X-Amz-Security-Token") == expected.get("X-Amz-Security-Token")


def test_the_signed_url_is_in_rfc_3986_form_and_the_scope_names_the_day_region_and_service() -> None:
    (get, _, listed, odd, local) = sign_in_node([for_node(case) for case in CASES])

    assert odd["url"] == f"{API}/admin/v1/orgs/o%281%29/segments/it%27s%2A?filter=name%20eq%20%27x%27"
    assert listed["url"] == CASES[2]["url"]  # already in that form: sent as it is
    assert local["url"] == "http://127.0.0.1:8123/admin/v1/orgs/o1"
    assert get["headers"]["Authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={CREDENTIALS['AccessKeyId']}/20261206/{REGION}/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature="
    )
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in listed["headers"]["Authorization"]


def test_a_changed_body_or_secret_changes_the_signature() -> None:
    base = for_node(CASES[1])
    other_body = {**base, "body": base["body"].replace("Contoso", "Fabrikam")}
    other_secret = {**base, "credentials": {**CREDENTIALS, "SecretKey": "another-secret"}}

    signatures = {r["headers"]["Authorization"] for r in sign_in_node([base, other_body, other_secret])}

    assert len(signatures) == 3
