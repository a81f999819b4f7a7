"""The botocore data loader of Pushgate's AWS clients: service models without the data folder scan.

**Replaces** botocore's own ``Loader`` (``botocore.loaders.create_loader``) in the session
``pushgate.deps.aws_session`` builds every client from. botocore's ``Loader.load_service_model``
first asks ``list_available_services``, which lists every service folder botocore ships (over 400)
and every API version folder in each, once per model type: on a cold start that is two full scans
(``service-2`` and ``endpoint-rule-set-1``) before the first client exists. Pushgate's session only
ever builds clients of the services below, so this loader looks in those services' own folders only
(``list_api_versions``, on the same search paths, so ``AWS_DATA_PATH`` still applies). Loading, the
extras, endpoints, retries and signing are botocore's own; a service not named here is unknown to
the session (``UnknownServiceError``, as botocore raises for a name it does not ship).

The endpoint data is the one exception: botocore's ``endpoints.json`` (1.2 MB, every service in
every partition) is parsed whole on the first client to resolve four services. The loader serves
``aws-endpoints.json`` instead, packaged beside this module (``layers/pushgate/pyproject.toml``
ships it as package data): botocore's own file with every partition, region and default, and only
these services' entries (``trim_endpoints``; regenerate it with ``make aws-endpoints`` after
``make lock`` moves botocore). An ``endpoints`` file on an earlier search path (``AWS_DATA_PATH``,
``~/.aws/models``) still wins.

**Saves** on the first client of every function's cold start: 129 ms for the first DynamoDB
client of a stock botocore session against 42 ms with this loader (median of 15 fresh processes,
``python -m bench.forks``, on a 2-core machine under load: compare the two, not the absolute
numbers; the run is in docs/decisions.md).

**Parity test**: ``tests/unit/test_service_models.py``: the models are the ones botocore loads,
the search paths are botocore's, clients keep region, endpoint and retries, clients resolve the
endpoints botocore resolves in every partition, the packaged endpoint data is exactly botocore's
trimmed (so a botocore upgrade without ``make aws-endpoints`` fails it), and the full file is
never read.

**Can go** when botocore's loader finds a service's model without listing every service (and
reads endpoint data per service), or when Pushgate's functions no longer build a client at cold
start.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader

#: The AWS services whose clients ``pushgate.deps`` builds.
PUSHGATE_SERVICES = ("dynamodb", "s3", "secretsmanager", "sqs")
#: botocore's endpoint data cut down to ``PUSHGATE_SERVICES`` (regenerate: ``make aws-endpoints``).
TRIMMED_ENDPOINTS = pathlib.Path(__file__).with_name("aws-endpoints.json")
ENDPOINTS = "endpoints"


def trim_endpoints(endpoints: dict[str, Any]) -> dict[str, Any]:
    """botocore's endpoint data with only the services of ``PUSHGATE_SERVICES`` in each partition."""
    return {
        **endpoints,
        "partitions": [
            {**partition, "services": {k: v for k, v in partition["services"].items() if k in PUSHGATE_SERVICES}}
            for partition in endpoints["partitions"]
        ],
    }


def write_trimmed_endpoints(destination: pathlib.Path = TRIMMED_ENDPOINTS) -> None:
    """Writes ``trim_endpoints`` of the installed botocore's data to ``destination``."""
    trimmed = trim_endpoints(Loader().load_data(ENDPOINTS))
    destination.write_text(json.dumps(trimmed, indent=1, sort_keys=True) + "\n", encoding="utf-8")


class PushgateServicesLoader(Loader):
    """A botocore ``Loader`` whose known services are those of ``PUSHGATE_SERVICES`` it has data for."""

    def load_data_with_path(self, name: str) -> tuple[Any, str]:
        """botocore's lookup, except that the endpoint data botocore ships comes from ``TRIMMED_ENDPOINTS``."""
        if name == ENDPOINTS and self._builtin_endpoints_come_first():
            with TRIMMED_ENDPOINTS.open("rb") as file:
                return json.load(file), str(TRIMMED_ENDPOINTS)
        found: tuple[Any, str] = super().load_data_with_path(name)
        return found

    def _builtin_endpoints_come_first(self) -> bool:
        for path in self.search_paths:
            if path == self.BUILTIN_DATA_PATH:
                return TRIMMED_ENDPOINTS.exists()
            if self.file_loader.exists(os.path.join(path, ENDPOINTS)):
                return False
        return False

    def list_available_services(self, type_name: str) -> list[str]:
        """The Pushgate services with a model of ``type_name`` on the search paths, sorted."""
        return sorted(name for name in PUSHGATE_SERVICES if self._has_model(name, type_name))

    def _has_model(self, service_name: str, type_name: str) -> bool:
        try:
            self.list_api_versions(service_name, type_name)
        except DataNotFoundError:
            return False
        return True


def pushgate_services_loader(data_path: str | None) -> PushgateServicesLoader:
    """The loader for a session's ``data_path`` setting, with the search paths ``create_loader`` gives it."""
    if data_path is None:
        return PushgateServicesLoader()
    paths = [os.path.expanduser(os.path.expandvars(path)) for path in data_path.split(os.pathsep)]
    return PushgateServicesLoader(extra_search_paths=paths)
