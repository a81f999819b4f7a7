"""Use cases, one package per capability. Services receive their ports as arguments and never see events or HTTP.

``apps`` (orgs, mobile apps, access tokens, credential checks), ``devices`` (registration,
verification, erasure), ``directory`` (people, app-user links, resolve), ``messages`` (authoring,
rendering, preview), ``sends`` (fan-out, delivery, parked jobs), ``interactions`` (reports,
insights), ``lifecycle`` (the token cleanup); ``health`` stands alone. Their ports live beside the
adapters' base in ``pushgate.repositories`` (``base``, ``*_ports``) and ``pushgate.providers.ports``;
their settings in ``pushgate.config``. ``services/ruff.toml`` keeps AWS SDKs, HTTP clients and the
DynamoDB adapters out.
"""
