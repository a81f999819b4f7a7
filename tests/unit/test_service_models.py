"""The AWS session's data loader gives its clients botocore's own models, without scanning every service."""

from __future__ import annotations

import json
import pathlib

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader, create_loader
from botocore.validate import ParamValidationDecorator

from pushgate import deps
from pushgate.runtime.service_models import (
    ENDPOINTS,
    PUSHGATE_SERVICES,
    TRIMMED_ENDPOINTS,
    PushgateServicesLoader,
    pushgate_services_loader,
    trim_endpoints,
)

MODEL_TYPES = ("service-2", "endpoint-rule-set-1", "paginators-1", "waiters-2")


@pytest.fixture
def fresh_session(monkeypatch: pytest.MonkeyPatch) -> botocore.session.Session:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "7")
    deps.reset()
    yield deps.aws_session()
    deps.reset()


@pytest.mark.parametrize("service", PUSHGATE_SERVICES)
def test_models_are_the_ones_botocore_loads(service: str) -> None:
    ours, botocores = pushgate_services_loader(None), Loader()
    for type_name in MODEL_TYPES:
        if service in botocores.list_available_services(type_name):
            assert ours.load_service_model(service, type_name) == botocores.load_service_model(service, type_name)
        else:  # secretsmanager has no waiters
            assert service not in ours.list_available_services(type_name)


def test_known_services_are_pushgates_only() -> None:
    loader = pushgate_services_loader(None)

    assert loader.list_available_services("service-2") == sorted(PUSHGATE_SERVICES)
    with pytest.raises(UnknownServiceError):
        loader.load_service_model("sns", "service-2")


def test_data_path_gives_the_search_paths_botocore_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUSHGATE_MODELS", "/opt/models")
    data_path = "~/models:$PUSHGATE_MODELS"

    assert pushgate_services_loader(data_path).search_paths == create_loader(data_path).search_paths


def test_session_clients_keep_region_endpoint_and_retries(fresh_session: botocore.session.Session) -> None:
    assert isinstance(fresh_session.get_component("data_loader"), PushgateServicesLoader)
    reference = botocore.session.get_session()

    for service in PUSHGATE_SERVICES:
        ours, botocores = fresh_session.create_client(service), reference.create_client(service)
        assert ours.meta.region_name == botocores.meta.region_name == "eu-west-1"
        assert ours.meta.endpoint_url == botocores.meta.endpoint_url
        assert ours.meta.config.retries == botocores.meta.config.retries
        assert ours.meta.service_model.signature_version == botocores.meta.service_model.signature_version
    assert fresh_session.create_client("sqs").meta.endpoint_url == "http://127.0.0.1:4566"


def test_the_functions_clients_keep_the_environment_and_send_a_fixed_user_agent(
    fresh_session: botocore.session.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client built before, in an environment that names no runtime (an earlier test's), is forgotten
    # with everything built from that environment.
    deps.s3_client()
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.13")
    deps.reset()
    reference = botocore.session.get_session()
    built = {
        "dynamodb": deps.dynamodb_client(),
        "sqs": deps.sqs_client(),
        "s3": deps.s3_client(),
        "secretsmanager": deps.secretsmanager_client(),
    }
    for service, client in built.items():
        botocores = reference.create_client(service)
        assert client.meta.region_name == "eu-west-1"
        assert client.meta.endpoint_url == botocores.meta.endpoint_url
        assert client.meta.config.retries == botocores.meta.config.retries
        # Built once, not again for every request: botocore's version, Python's, the runtime's.
        user_agent = client._user_agent_creator.to_string()
        assert user_agent.startswith(f"Botocore/{botocore.__version__} lang/python#3.")
        assert "exec-env/AWS_Lambda_python3.13" in user_agent
    # DynamoDB's requests reach the service unchecked by botocore (it validates them itself).
    assert not isinstance(built["dynamodb"]._serializer, ParamValidationDecorator)
    assert isinstance(built["sqs"]._serializer, ParamValidationDecorator)
    assert built["sqs"].meta.endpoint_url == "http://127.0.0.1:4566"


def test_loading_a_model_lists_only_the_services_own_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.loaders  # noqa: PLC0415 - the module whose listdir is watched

    listed: list[str] = []
    real_listdir = botocore.loaders.os.listdir

    def listdir(path: str) -> list[str]:
        listed.append(path)
        return real_listdir(path)

    monkeypatch.setattr(botocore.loaders.os, "listdir", listdir)
    pushgate_services_loader(None).load_service_model("dynamodb", "service-2")

    assert Loader.BUILTIN_DATA_PATH not in listed
    assert all(path.rstrip("/").rsplit("/", 2)[-1] in PUSHGATE_SERVICES for path in listed)


def test_packaged_endpoints_are_botocores_trimmed_to_pushgates_services() -> None:
    packaged = json.loads(TRIMMED_ENDPOINTS.read_text(encoding="utf-8"))

    assert packaged == trim_endpoints(Loader().load_data(ENDPOINTS)), "botocore changed: run `make aws-endpoints`"
    assert {name for partition in packaged["partitions"] for name in partition["services"]} == set(PUSHGATE_SERVICES)


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "cn-north-1", "us-gov-west-1", "us-iso-east-1"])
def test_clients_resolve_the_endpoints_botocore_resolves(monkeypatch: pytest.MonkeyPatch, region: str) -> None:
    for variable in ("AWS_ENDPOINT_URL", *(f"AWS_ENDPOINT_URL_{name.upper()}" for name in PUSHGATE_SERVICES)):
        monkeypatch.delenv(variable, raising=False)
    deps.reset()
    ours, reference = deps.aws_session(), botocore.session.get_session()

    for service in PUSHGATE_SERVICES:
        for config in (None, Config(use_fips_endpoint=True)):
            mine = ours.create_client(service, region_name=region, config=config)
            theirs = reference.create_client(service, region_name=region, config=config)
            assert mine.meta.endpoint_url == theirs.meta.endpoint_url
            assert mine.meta.partition == theirs.meta.partition
    deps.reset()


def test_a_session_never_reads_botocores_full_endpoint_file(monkeypatch: pytest.MonkeyPatch) -> None:
    loader = pushgate_services_loader(None)
    opened: list[str] = []
    real_load_file = loader.file_loader.load_file
    monkeypatch.setattr(loader.file_loader, "load_file", lambda path: opened.append(path) or real_load_file(path))

    assert loader.load_data(ENDPOINTS)["partitions"]

    assert opened == []


def test_endpoint_data_on_a_data_path_still_wins(tmp_path: pathlib.Path) -> None:
    custom = {"partitions": [], "version": 3}
    (tmp_path / "endpoints.json").write_text(json.dumps(custom), encoding="utf-8")

    assert pushgate_services_loader(str(tmp_path)).load_data(ENDPOINTS) == custom
