"""Validation of APNs token-auth credentials (.p8 signing key, Key ID, Team ID, Bundle ID)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from pushgate.credentials._apple_ids import explain_bundle_id, explain_ten_character_id
from pushgate.credentials._pem import (
    KeyPurpose,
    LoadedPrivateKey,
    describe_key_type,
    public_key_sha256,
    read_private_key,
)
from pushgate.credentials._problems import ProblemCollector
from pushgate.credentials.inputs import IosTokenCredentialsInput
from pushgate.credentials.metadata import IosTokenMetadata

_APNS_AUTH_KEY = KeyPurpose(
    description="the APNs auth key (.p8 file)",
    how_to_get=(
        "Token auth needs the AuthKey_<KeyID>.p8 file downloaded from Certificates, Identifiers & Profiles > Keys "
        "in the Apple Developer account; paste its whole contents. To use a .p12 certificate instead, set "
        "AuthMode to 'Certificate'."
    ),
)


def validate_ios_token_credentials(credentials: IosTokenCredentialsInput, *, prefix: str = "Ios") -> IosTokenMetadata:
    """Checks APNs token-auth credentials without contacting Apple.

    Args:
        credentials: The parsed ``Ios`` object with ``AuthMode`` ``Token``.
        prefix: Dotted path of the object in the request, used in problem fields.

    Returns:
        The credential's non-secret metadata.

    Raises:
        InvalidRequestError: Listing every problem found.
    """
    problems = ProblemCollector(prefix)
    for field, value, what, where_to_find in (
        (
            "KeyId",
            credentials.key_id,
            "Key ID",
            "shown next to the key under Keys, and in the file name AuthKey_<KeyID>.p8",
        ),
        ("TeamId", credentials.team_id, "Team ID", "shown under Membership details in the Apple Developer account"),
    ):
        id_problem = explain_ten_character_id(value, what=what, where_to_find=where_to_find)
        if id_problem:
            problems.add(problems.path(field), id_problem)
    bundle_id_problem = explain_bundle_id(credentials.bundle_id)
    if bundle_id_problem:
        problems.add(problems.path("BundleId"), bundle_id_problem)

    signing_key = read_apns_signing_key(credentials.signing_key.get_secret_value())
    if isinstance(signing_key, str):
        problems.add(problems.path("SigningKey"), signing_key)
        problems.raise_all()
    problems.raise_if_any()
    return IosTokenMetadata(
        app_mode=credentials.app_mode,
        bundle_id=credentials.bundle_id,
        team_id=credentials.team_id,
        key_id=credentials.key_id,
        public_key_sha256=public_key_sha256(signing_key.key.public_key()),
    )


def read_apns_signing_key(text: str) -> LoadedPrivateKey | str:
    """Reads an APNs auth key: PKCS#8 PEM holding an EC private key on P-256.

    Args:
        text: The pasted .p8 contents.

    Returns:
        The loaded key, or a sentence explaining why it cannot sign APNs tokens.
    """
    loaded = read_private_key(text, _APNS_AUTH_KEY)
    if isinstance(loaded, str):
        return loaded
    key = loaded.key
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return (
            f"is {describe_key_type(key)}, but APNs signing keys are EC keys on curve P-256 (ES256). "
            f"{_APNS_AUTH_KEY.how_to_get}"
        )
    if not isinstance(key.curve, ec.SECP256R1):
        return (
            f"is {describe_key_type(key)}, but APNs requires curve P-256 (secp256r1, prime256v1) for ES256. "
            f"{_APNS_AUTH_KEY.how_to_get}"
        )
    if loaded.pem_label != "PRIVATE KEY":
        return (
            "is an EC P-256 key in the older SEC1 format ('BEGIN EC PRIVATE KEY'); APNs auth keys are PKCS#8 "
            "('BEGIN PRIVATE KEY'). Paste the original .p8 file, or convert with: "
            "openssl pkcs8 -topk8 -nocrypt -in key.pem -out AuthKey.p8"
        )
    return loaded
