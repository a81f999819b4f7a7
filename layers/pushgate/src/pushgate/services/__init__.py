"""Use cases, one package per capability. Services receive their ports as arguments and never see events or HTTP.

``apps`` (orgs, mobile apps, access tokens, credential checks, delivery policies), ``devices``
(registration, verification, erasure), ``directory`` (people, app-user links, resolve), ``messages``
(authoring, rendering, preview), ``segments`` (saved segments, audience previews), ``sends``
(fan-out, audiences, delivery, timing, parked jobs), ``interactions`` (reports, insights),
``token_cleanup`` (the scheduled token cleanup); ``health`` stands alone. Each capability's ports are
its ``ports.py``; the stores several capabilities read (orgs, apps, access tokens, secrets) are in
``pushgate.services.ports``, the provider port in ``pushgate.providers.ports``; their settings in
``pushgate.config``. ``services/ruff.toml`` keeps AWS SDKs, HTTP clients and every adapter out.
"""
