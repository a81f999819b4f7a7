"""A job's outcomes as the forms before the current one stored them, for the tests that read them back.

``FIRST_COLUMNAR_FORM`` is what the first columnar encoder wrote for :func:`earlier_entries`, byte
for byte (every id whole, the ``apns-id`` the one Pushgate derived then from the send id and the raw
token); :func:`compressed_json_form` is the form before that.
"""

from __future__ import annotations

import base64
import zlib
from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic import TypeAdapter

from pushgate.models.device import DevicePlatform
from pushgate.models.send import LedgerEntry, Outcome

#: The send the entries belong to and the APNs token of the first one.
SEND: Final = "5d0c3f7a-9b1e-4c2d-8e6f-0a1b2c3d4e5f"
TOKEN: Final = "ab" * 32
AT: Final = datetime(2026, 12, 6, 19, 0, 0, 123456, tzinfo=UTC)


def earlier_entries() -> list[LedgerEntry]:
    """An APNs device delivered (a tracked link), an FCM device delivered, an APNs device refused."""
    common = {"outcome": Outcome.SENT, "verdict": "delivered", "profile_type": "contact"}
    return [
        LedgerEntry(
            **common,
            user_id="7d0c6a52-4a8e-4f0e-9c1b-2f6f7b1e9a01",
            platform=DevicePlatform.IOS,
            token_sha256="271a413bd339c5709fdceaec41f14f11e9fbfb5042d72d331c65f32b284cd09a",
            tracking_id="3f2a9c41-7b6e-4d15-8a0b-1c2d3e4f5a6b",
            provider_message_id="8686b0cd-b348-5596-9b56-af84601ad3a7",
            at=AT,
            attempts=1,
            link="https://contoso.com/orders/SO-1",
        ),
        LedgerEntry(
            **common,
            user_id="7d0c6a52-4a8e-4f0e-9c1b-2f6f7b1e9a02",
            platform=DevicePlatform.ANDROID,
            token_sha256="a4c2e0f8d6b4a2c0e8f6d4b2a0c8e6f4d2b0a8c6e4f2d0b8a6c4e2f0d8b6a4c2",
            tracking_id="3f2a9c41-7b6e-4d15-9e8d-7c6b5a4f3e2d",
            provider_message_id="projects/contoso/messages/0:1765047600123456%31bd1c9631bd1c96",
            at=AT + timedelta(milliseconds=4),
            attempts=2,
        ),
        LedgerEntry(
            user_id="7d0c6a52-4a8e-4f0e-9c1b-2f6f7b1e9a03",
            outcome=Outcome.NOT_SENT,
            reason="Unregistered",
            platform=DevicePlatform.IOS,
            token_sha256="0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            tracking_id="3f2a9c41-7b6e-4d15-b1a2-a3b4c5d6e7f8",
            verdict="token_invalid",
            at=AT + timedelta(milliseconds=9),
            attempts=1,
            untracked_link="https://contoso.com",
        ),
    ]


def compressed_json_form() -> bytes:
    """The entries as the form before the columnar ones stored them (zlib-compressed JSON)."""
    return zlib.compress(TypeAdapter(list[LedgerEntry]).dump_json(earlier_entries(), exclude_none=True), 6)


FIRST_COLUMNAR_FORM: Final = base64.b64decode(
    "AXjadVFNa9RAGG7rURF68KLFw4hUdGKSzSa7WaGyghdRVyx66LKE2WR2m24yEzKTBVn3ByjoDyhFpRYRvKgU8SjFihehqFQPHkTE"
    "LwS1ihR68U3YXWrRy8zzzPs+78czQ0Mj5zuIoZKBkSAhRaVOFyOXB0nIBBBEpKRhJAFXdZzDeg2jwGctoGhaykiUVNXlTHLBD7s8"
    "VHns0ViokxVFR5glQZAdIOKJhDhNdZOUSYT712kuMwQ5UUBkg8dhmuRzAUHCvJj7HqCUpykxb/gBdeSFKKuV9iZuWmeAeg0hs+3D"
    "ME5IhSBN6kAZEBStolXXXE+pG/miYpq2pdh101JIo5i3NJ14BimgTD1DXSn6y6m9KkLVSnrBMrV8wdI0PWfkTWu/odc93bWt/j2Y"
    "IaZEcDC3OnACo3Mspk1fSBpTL90oYTImbot6Ts/XTbn/cDiVtGns+bAqrOPRwG9npfBfWPIWZY7P2iSAvWvwp1HWBDTVXlBMk5wJ"
    "s6IeqGGIpKP4rOlknidJqoXnRICPm55gBpK21wu2ZRaNgRM4r2katuGodcd3l4+8sJej62++fC3/qIx+3tg4c+yVYozRn4cOnFyZ"
    "XVh6u766OP/o0++X9288/fDr+d3bT96vrTy89fjd99cPFpaG9x1vXrrz7Nv/7qMH58oddmrX5e1jykRlqtXn165cbE1VJpQ+vzd/"
    "c3F59eN6d8fM2RNXKzvn9qi8s3d2eAsf2cK3/QE1sxyS"
)
