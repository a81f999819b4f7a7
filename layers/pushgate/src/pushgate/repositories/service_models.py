"""The botocore data loader of Pushgate's AWS clients: service models without the data folder scan.

botocore's ``Loader.load_service_model`` first asks ``list_available_services``, which lists every
service folder botocore ships (over 400) and every API version folder in each, once per model type:
on a cold start that is two full scans (``service-2`` and ``endpoint-rule-set-1``) before the first
client exists. Pushgate's session only ever builds clients of the services below, so this loader
looks in those services' own folders only (``list_api_versions``, on the same search paths, so
``AWS_DATA_PATH`` still applies). Loading, the extras, endpoints, retries and signing are botocore's
own; a service not named here is unknown to the session (``UnknownServiceError``, as botocore
raises for a name it does not ship).
"""

from __future__ import annotations

import os

from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader

#: The AWS services whose clients ``pushgate.deps`` builds.
PUSHGATE_SERVICES = ("dynamodb", "secretsmanager", "sqs")


class PushgateServicesLoader(Loader):
    """A botocore ``Loader`` whose known services are those of ``PUSHGATE_SERVICES`` it has data for."""

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
