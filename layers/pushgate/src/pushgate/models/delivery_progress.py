"""How far a delivery job got: the checkpoint its worker keeps in the job's claim.

A worker hands a job's devices to the provider connection in windows (``DELIVERY_WINDOW`` devices at
most). Before it writes a window it records, in the claim, the fate of every device decided so far
and the devices of the window. A worker that finds the claim in flight (the one before it died)
keeps the recorded fates, records the window's devices ``DeliveryUncertain`` (their requests may
have reached the provider) and sends every device no worker ever handed over. Devices are named by
their index in ``DeliveryJob.devices``, so a checkpoint holds no token and no personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from pushgate.models.push import Verdict

#: Devices handed to the provider connection between two checkpoints, at most: what a worker that
#: dies mid-job can leave uncertain. A job of 100 devices takes four windows and three checkpoints.
DELIVERY_WINDOW: Final = 25


class FateKind(StrEnum):
    """What became of one device of a job, as far as the checkpoint knows."""

    ANSWERED = "a"  # the provider answered; the verdict (and what the ledger needs of it) is kept
    UNCERTAIN = "u"  # handed to a connection by a worker that died before recording the answer
    PARKED = "p"  # parked until the app's credentials change
    NOT_SENT = "n"  # decided without a provider call (platform not configured...)


@dataclass(frozen=True, slots=True)
class DeviceFate:
    """The recorded fate of one device.

    Attributes:
        kind: What happened.
        verdict: The provider's verdict (``ANSWERED``).
        reason: The provider's code (``ANSWERED``), or why it was parked or not sent.
        provider_message_id: The FCM message name or ``apns-id`` of a delivered notification;
            never stored in a checkpoint (see ``pushgate.adapters.dynamodb.delivery_progress``).
        retry_after: The provider's ``Retry-After`` (``RETRY``).
    """

    kind: FateKind
    verdict: Verdict | None = None
    reason: str | None = None
    provider_message_id: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class JobProgress:
    """A job's checkpoint: who works on it, what is decided, what is on the wire.

    Attributes:
        owner: The run that holds the claim; a checkpoint or completion by any other run fails.
        fates: Device index → fate, for every device decided so far.
        window: Indices handed to (or about to be handed to) the connection, not yet decided.
        version: How many checkpoints had replaced the claim's first one when this was read (0: the
            claim's own). A run taking the job over names it, so that its takeover replaces only the
            checkpoint it read: a holder that moved on meanwhile keeps the job.
    """

    owner: str
    fates: Mapping[int, DeviceFate] = field(default_factory=dict)
    window: tuple[int, ...] = ()
    version: int = 0

    def resumed(self) -> dict[int, DeviceFate]:
        """The fates a worker taking the job over starts from: the window's devices become uncertain."""
        fates = dict(self.fates)
        for index in self.window:
            fates.setdefault(index, DeviceFate(FateKind.UNCERTAIN))
        return fates
