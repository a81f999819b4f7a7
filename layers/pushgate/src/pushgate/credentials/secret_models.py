"""The secret parts of provider credentials, as stored in Secrets Manager.

Every secret value is a pydantic ``Secret`` type, so ``repr``, ``str``, ``model_dump`` and
``model_dump_json`` show ``**********``. The only way to get the values out for storage is the
explicitly named :meth:`to_secret_string`; :func:`load_ios_secret` and
``FcmServiceAccountSecret.from_secret_string`` read them back.
"""

from __future__ import annotations

import base64
import json
from abc import abstractmethod
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, JsonValue, Secret, SecretBytes, SecretStr


class _SecretModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    def to_secret_string(self) -> str:
        """Serialises the secret with its values revealed, for ``SecretString`` in Secrets Manager.

        Returns:
            A JSON document; treat it as secret.
        """
        return json.dumps(self._revealed(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_secret_string(cls, secret_string: str) -> Self:
        """Reads a secret written by :meth:`to_secret_string`.

        Args:
            secret_string: The JSON document from Secrets Manager.

        Returns:
            The secret model.
        """
        return cls.model_validate(cls._fields_from_stored(json.loads(secret_string)))

    @abstractmethod
    def _revealed(self) -> dict[str, JsonValue]:
        """Returns the fields with secret values in clear, as JSON-ready values."""

    @classmethod
    def _fields_from_stored(cls, stored: dict[str, JsonValue]) -> dict[str, object]:
        """Turns the stored JSON back into field values; most secrets store their fields as they are."""
        return dict(stored)


class IosTokenSecret(_SecretModel):
    """The APNs signing key.

    Attributes:
        kind: Always ``ApnsToken``; tells stored secrets apart.
        signing_key_pem: The .p8 key as canonical PEM (PKCS#8, EC P-256).
    """

    kind: Literal["ApnsToken"] = "ApnsToken"
    signing_key_pem: SecretStr

    def _revealed(self) -> dict[str, JsonValue]:
        return {"kind": self.kind, "signing_key_pem": self.signing_key_pem.get_secret_value()}


class IosCertificateSecret(_SecretModel):
    """The APNs client certificate as the .p12 file and its password.

    Attributes:
        kind: Always ``ApnsCertificate``; tells stored secrets apart.
        p12: The raw .p12 (PKCS #12) bytes.
        password: The .p12 password, empty when none was set.
    """

    kind: Literal["ApnsCertificate"] = "ApnsCertificate"
    p12: SecretBytes
    password: SecretStr

    def _revealed(self) -> dict[str, JsonValue]:
        return {
            "kind": self.kind,
            "p12_base64": base64.b64encode(self.p12.get_secret_value()).decode("ascii"),
            "password": self.password.get_secret_value(),
        }

    @classmethod
    def _fields_from_stored(cls, stored: dict[str, JsonValue]) -> dict[str, object]:
        fields: dict[str, object] = {key: value for key, value in stored.items() if key != "p12_base64"}
        fields["p12"] = base64.b64decode(str(stored["p12_base64"]))
        return fields


class FcmServiceAccountSecret(_SecretModel):
    """The FCM service-account key file.

    Attributes:
        kind: Always ``FcmServiceAccount``; tells stored secrets apart.
        service_account: The key file's JSON object (``private_key`` normalised, ``token_uri`` set).
    """

    kind: Literal["FcmServiceAccount"] = "FcmServiceAccount"
    service_account: Secret[dict[str, JsonValue]]

    @classmethod
    def from_info(cls, info: dict[str, JsonValue]) -> FcmServiceAccountSecret:
        """Wraps a service-account object.

        Args:
            info: The decoded service-account JSON object.

        Returns:
            The secret model.
        """
        return cls(service_account=Secret(info))

    def _revealed(self) -> dict[str, JsonValue]:
        return {"kind": self.kind, "service_account": self.service_account.get_secret_value()}


def load_ios_secret(secret_string: str) -> IosTokenSecret | IosCertificateSecret:
    """Reads a stored iOS secret of either kind.

    Args:
        secret_string: JSON written by ``to_secret_string`` of either iOS secret model.

    Returns:
        The token or certificate secret, according to its ``kind``.
    """
    if json.loads(secret_string).get("kind") == "ApnsCertificate":
        return IosCertificateSecret.from_secret_string(secret_string)
    return IosTokenSecret.from_secret_string(secret_string)
