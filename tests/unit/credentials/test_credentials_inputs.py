"""Shape checks of the credential input models: fields, types, sizes, paths of problems."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from pushgate.credentials.inputs import (
    MAX_CREDENTIAL_FIELD_BYTES,
    AndroidCredentialsInput,
    AppMode,
    IosCertificateCredentialsInput,
    IosTokenCredentialsInput,
    MobileAppCredentialsInput,
    parse_android_credentials,
    parse_ios_credentials,
    parse_mobile_app_credentials,
    problems_from_validation_error,
)
from pushgate.errors import InvalidRequestError
from pushgate_local.credentials import FcmServiceAccount

TooLarge = "x" * (MAX_CREDENTIAL_FIELD_BYTES + 1)


def test_parse_ios_token_body_returns_token_model_with_stripped_values(
    token_body: Callable[..., dict[str, Any]],
) -> None:
    # Given a token body whose values carry surrounding whitespace
    body = token_body(KeyId="  ABCDE12345 \n", BundleId=" com.example.app ")

    # When
    parsed = parse_ios_credentials(body)

    # Then
    assert isinstance(parsed, IosTokenCredentialsInput)
    assert parsed.key_id == "ABCDE12345"
    assert parsed.bundle_id == "com.example.app"
    assert parsed.app_mode is AppMode.SANDBOX
    assert not parsed.signing_key.get_secret_value().endswith("\n")


def test_parse_ios_certificate_body_defaults_optional_fields(certificate_body: Callable[..., dict[str, Any]]) -> None:
    # Given a certificate body without BundleId and CertificatePassword
    body = certificate_body(BundleId=None, CertificatePassword=None)

    # When
    parsed = parse_ios_credentials(body)

    # Then
    assert isinstance(parsed, IosCertificateCredentialsInput)
    assert parsed.bundle_id is None
    assert parsed.certificate_password.get_secret_value() == ""


def test_parse_ios_unknown_field_is_rejected_by_name(token_body: Callable[..., dict[str, Any]]) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_ios_credentials(token_body(Topic="com.example.app"))

    assert [(p.field, p.problem) for p in caught.value.problems] == [
        ("Ios.Topic", "is not a recognised field; check the spelling (field names are PascalCase, e.g. KeyId).")
    ]


def test_parse_ios_snake_case_field_names_are_unknown(token_body: Callable[..., dict[str, Any]]) -> None:
    body = token_body(KeyId=None)
    body["key_id"] = "ABCDE12345"

    with pytest.raises(InvalidRequestError) as caught:
        parse_ios_credentials(body)

    assert {p.field for p in caught.value.problems} == {"Ios.KeyId", "Ios.key_id"}


@pytest.mark.parametrize("auth_mode", [None, "Jwt", "token", 3])
def test_parse_ios_missing_or_unknown_auth_mode_is_reported_on_auth_mode(
    token_body: Callable[..., dict[str, Any]], auth_mode: object
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_ios_credentials(token_body(AuthMode=auth_mode))

    (problem,) = caught.value.problems
    assert problem.field == "Ios.AuthMode"
    assert "'Token'" in problem.problem
    assert "'Certificate'" in problem.problem


def test_parse_ios_wrong_app_mode_lists_allowed_values(token_body: Callable[..., dict[str, Any]]) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_ios_credentials(token_body(AppMode="sandbox"))

    (problem,) = caught.value.problems
    assert problem.field == "Ios.AppMode"
    assert problem.problem == "must be 'Sandbox' or 'Production'."


def test_parse_ios_reports_every_missing_field_without_union_tags() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_ios_credentials({"AuthMode": "Token"})

    assert {p.field: p.problem for p in caught.value.problems} == {
        "Ios.AppMode": "is required.",
        "Ios.BundleId": "is required.",
        "Ios.TeamId": "is required.",
        "Ios.KeyId": "is required.",
        "Ios.SigningKey": "is required.",
    }


def test_parse_ios_certificate_missing_certificate_is_reported() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_ios_credentials({"AuthMode": "Certificate", "AppMode": "Sandbox"})

    assert [p.field for p in caught.value.problems] == ["Ios.Certificate"]


@pytest.mark.parametrize("value", ["a string", ["list"], 7])
def test_parse_ios_non_object_is_reported_on_ios(value: object) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_ios_credentials(value)

    assert [(p.field, p.problem) for p in caught.value.problems] == [("Ios", "must be a JSON object.")]


def test_parse_ios_non_string_value_is_reported(token_body: Callable[..., dict[str, Any]]) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_ios_credentials(token_body(TeamId=1234567890))

    assert [(p.field, p.problem) for p in caught.value.problems] == [("Ios.TeamId", "must be a string.")]


@pytest.mark.parametrize("field", ["SigningKey", "KeyId", "TeamId", "BundleId"])
def test_parse_ios_token_field_over_64_kb_is_rejected_by_name(
    token_body: Callable[..., dict[str, Any]], field: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_ios_credentials(token_body(**{field: TooLarge}))

    (problem,) = caught.value.problems
    assert problem.field == f"Ios.{field}"
    assert "64 KB" in problem.problem
    assert str(MAX_CREDENTIAL_FIELD_BYTES + 1) in problem.problem


@pytest.mark.parametrize("field", ["Certificate", "CertificatePassword", "BundleId"])
def test_parse_ios_certificate_field_over_64_kb_is_rejected_by_name(
    certificate_body: Callable[..., dict[str, Any]], field: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_ios_credentials(certificate_body(**{field: TooLarge}))

    assert [p.field for p in caught.value.problems] == [f"Ios.{field}"]


def test_parse_field_size_limit_counts_utf8_bytes(token_body: Callable[..., dict[str, Any]]) -> None:
    # Given a value under the limit in characters but over it in UTF-8 bytes
    two_byte_characters = "é" * (MAX_CREDENTIAL_FIELD_BYTES // 2 + 1)

    with pytest.raises(InvalidRequestError) as caught:
        parse_ios_credentials(token_body(BundleId=two_byte_characters))

    assert [p.field for p in caught.value.problems] == ["Ios.BundleId"]


def test_parse_field_of_exactly_64_kb_is_accepted(token_body: Callable[..., dict[str, Any]]) -> None:
    parsed = parse_ios_credentials(token_body(SigningKey="k" * MAX_CREDENTIAL_FIELD_BYTES))

    assert isinstance(parsed, IosTokenCredentialsInput)


def test_parse_android_accepts_object_and_string(service_account: FcmServiceAccount) -> None:
    as_object = parse_android_credentials({"ServiceAccountJson": service_account.info})
    as_string = parse_android_credentials({"ServiceAccountJson": service_account.to_json()})

    assert json.loads(as_object.service_account_json.get_secret_value()) == service_account.info
    assert json.loads(as_string.service_account_json.get_secret_value()) == service_account.info


@pytest.mark.parametrize("value", [["not", "an", "object"], 42, None])
def test_parse_android_service_account_of_wrong_type_is_rejected(value: object) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_android_credentials({"ServiceAccountJson": value})

    (problem,) = caught.value.problems
    assert problem.field == "Android.ServiceAccountJson"
    assert "JSON object" in problem.problem


@pytest.mark.parametrize("as_object", [True, False])
def test_parse_android_service_account_over_64_kb_is_rejected(as_object: bool) -> None:
    oversized: object = {"type": "service_account", "padding": TooLarge} if as_object else TooLarge

    with pytest.raises(InvalidRequestError) as caught:
        parse_android_credentials({"ServiceAccountJson": oversized})

    (problem,) = caught.value.problems
    assert problem.field == "Android.ServiceAccountJson"
    assert "64 KB" in problem.problem


def test_parse_android_unknown_field_is_rejected() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_android_credentials({"ServiceAccountJson": {}, "ApiKey": "AAAA"})

    assert [p.field for p in caught.value.problems] == ["Android.ApiKey"]


def test_parse_mobile_app_reports_both_platforms_with_client_paths(
    token_body: Callable[..., dict[str, Any]],
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_mobile_app_credentials({"Ios": token_body(KeyId=None), "Android": {}, "Windows": {}})

    assert {p.field for p in caught.value.problems} == {"Ios.KeyId", "Android.ServiceAccountJson", "Windows"}


def test_parse_mobile_app_accepts_either_platform_alone(service_account: FcmServiceAccount) -> None:
    parsed = parse_mobile_app_credentials({"Android": {"ServiceAccountJson": service_account.info}})

    assert parsed.ios is None
    assert isinstance(parsed.android, AndroidCredentialsInput)


def test_problems_from_validation_error_serves_request_models_that_extend_the_input(
    certificate_body: Callable[..., dict[str, Any]],
) -> None:
    # Given a request model built on the credential input, as the operator API does
    class SaveMobileAppRequest(MobileAppCredentialsInput):
        name: str

    # When it fails inside the discriminated iOS union
    with pytest.raises(ValidationError) as caught:
        SaveMobileAppRequest.model_validate({"Name": "App", "Ios": certificate_body(AppMode="Both", Extra=1)})

    # Then the paths are the client's, without pydantic's union tags
    problems = problems_from_validation_error(caught.value)
    assert {p.field for p in problems} == {"Ios.AppMode", "Ios.Extra"}


def test_problems_from_validation_error_applies_prefix() -> None:
    with pytest.raises(ValidationError) as caught:
        AndroidCredentialsInput.model_validate({})

    assert [p.field for p in problems_from_validation_error(caught.value, prefix="Android")] == [
        "Android.ServiceAccountJson"
    ]
