"""APNs and FCM clients for the delivery path: adapters behind the provider port.

Use cases see only :mod:`pushgate.providers.ports`; the composition root (:mod:`pushgate.deps`)
builds the clients. Import each name from its own module (:mod:`~pushgate.providers.apns`,
:mod:`~pushgate.providers.fcm`, :mod:`~pushgate.providers.clients`, ...): this package imports
nothing, so a function pays only for the modules it uses (the HTTP/2 transport, JWT signing and
cryptography load with the first client). Every request gets a
:class:`~pushgate.models.push.DeliveryOutcome` whose :class:`~pushgate.models.push.Verdict` comes
from the one table in :mod:`pushgate.providers.verdicts`.
"""
