"""Whole-configuration validation and the metadata it returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pushgate.credentials.inputs import parse_mobile_app_credentials
from pushgate.credentials.metadata import (
    FcmServiceAccountMetadata,
    IosCertificateMetadata,
    IosTokenMetadata,
    MobileAppCredentialsMetadata,
)
from pushgate.credentials.validation import validate_mobile_app_credentials, validate_mobile_app_credentials_input
from pushgate.errors import InvalidRequestError
from pushgate_local.credentials import FcmServiceAccount


def test_validate_mobile_app_returns_metadata_of_both_platforms(
    token_body: Callable[..., dict[str, Any]], service_account: FcmServiceAccount
) -> None:
    body = parse_mobile_app_credentials({"Ios": token_body(), "Android": {"ServiceAccountJson": service_account.info}})

    metadata = validate_mobile_app_credentials_input(body)

    assert isinstance(metadata.ios, IosTokenMetadata)
    assert isinstance(metadata.android, FcmServiceAccountMetadata)


def test_validate_mobile_app_with_one_platform_leaves_the_other_empty(
    certificate_body: Callable[..., dict[str, Any]],
) -> None:
    body = parse_mobile_app_credentials({"Ios": certificate_body()})

    metadata = validate_mobile_app_credentials(body.ios, body.android)

    assert isinstance(metadata.ios, IosCertificateMetadata)
    assert metadata.android is None


def test_validate_mobile_app_reports_problems_of_both_platforms_together(
    token_body: Callable[..., dict[str, Any]],
) -> None:
    body = parse_mobile_app_credentials(
        {"Ios": token_body(TeamId="team"), "Android": {"ServiceAccountJson": "AAAAbc1De2F:APA91bHun4MxP5ego"}}
    )

    with pytest.raises(InvalidRequestError) as caught:
        validate_mobile_app_credentials(body.ios, body.android)

    assert [p.field for p in caught.value.problems] == ["Ios.TeamId", "Android.ServiceAccountJson"]
    assert caught.value.message.startswith("The credentials have 2 problems: 1) Ios.TeamId:")
    assert "2) Android.ServiceAccountJson: is a legacy FCM server key." in caught.value.message


def test_validate_mobile_app_single_problem_message_names_the_field(token_body: Callable[..., dict[str, Any]]) -> None:
    body = parse_mobile_app_credentials({"Ios": token_body(BundleId="app")})

    with pytest.raises(InvalidRequestError) as caught:
        validate_mobile_app_credentials(body.ios, None)

    assert caught.value.message.startswith("Ios.BundleId: has only one label")
    assert caught.value.code == "InvalidRequest"


@pytest.mark.parametrize("ios_kind", ["token", "certificate"])
def test_metadata_round_trips_through_its_stored_form(
    token_body: Callable[..., dict[str, Any]],
    certificate_body: Callable[..., dict[str, Any]],
    service_account: FcmServiceAccount,
    ios_kind: str,
) -> None:
    # Given metadata as stored in DynamoDB (JSON-mode dump, PascalCase keys)
    ios = token_body() if ios_kind == "token" else certificate_body()
    body = parse_mobile_app_credentials({"Ios": ios, "Android": {"ServiceAccountJson": service_account.info}})
    metadata = validate_mobile_app_credentials_input(body)
    stored = metadata.model_dump(mode="json")

    # When it is read back
    restored = MobileAppCredentialsMetadata.model_validate(stored)

    # Then
    assert restored == metadata
    assert set(stored) == {"Ios", "Android"}
    assert stored["Ios"]["AuthMode"] == ("Token" if ios_kind == "token" else "Certificate")
    assert MobileAppCredentialsMetadata.model_validate_json(metadata.model_dump_json()) == metadata
