"""Reads ``template.yaml``: the one source of truth for routes, queues, tables and schedules.

The local runtime never keeps a second definition of anything the template declares. This module
turns the template into plain specs, resolving the intrinsic functions the local runtime needs
(``!Ref``, ``!GetAtt``, ``!Sub``, ``!If`` on parameters) against the local resources.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
}


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that keeps CloudFormation short-form tags as their long-form mappings."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = _SHORT_TAGS.get(tag_suffix, f"Fn::{tag_suffix}")
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    """Parses a SAM/CloudFormation template, short-form tags included."""
    with path.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = yaml.load(stream, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    return loaded


@dataclass(frozen=True)
class HttpRoute:
    """One HTTP API route of a function."""

    method: str
    path: str
    auth: str

    @property
    def route_key(self) -> str:
        """The API Gateway route key, e.g. ``GET /admin/v1/orgs/{orgId}``."""
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class SqsSource:
    """An SQS event source of a function."""

    queue_logical_id: str
    batch_size: int
    report_batch_item_failures: bool


@dataclass(frozen=True)
class Schedule:
    """A scheduled (EventBridge Scheduler or rule) event of a function."""

    name: str
    expression: str
    input: str | None


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function as the template declares it."""

    logical_id: str
    code_uri: Path
    handler: str
    timeout: int
    memory_size: int
    environment: dict[str, Any]
    routes: list[HttpRoute] = field(default_factory=list)
    sqs_sources: list[SqsSource] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)


@dataclass(frozen=True)
class QueueSpec:
    """One SQS queue."""

    logical_id: str
    properties: dict[str, Any]

    @property
    def dead_letter_logical_id(self) -> str | None:
        """The logical id of the queue's dead-letter queue, if it has one."""
        redrive = self.properties.get("RedrivePolicy") or {}
        target = redrive.get("deadLetterTargetArn")
        if isinstance(target, dict) and "Fn::GetAtt" in target:
            return str(target["Fn::GetAtt"][0])
        return None


@dataclass(frozen=True)
class TableSpec:
    """One DynamoDB table."""

    logical_id: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class BucketSpec:
    """One S3 bucket (created empty: its policies and lifecycle are AWS's business)."""

    logical_id: str


@dataclass(frozen=True)
class StackSpec:
    """Everything the local runtime needs from a template."""

    root: Path
    parameters: dict[str, Any]
    functions: list[FunctionSpec]
    queues: list[QueueSpec]
    tables: list[TableSpec]
    buckets: list[BucketSpec] = field(default_factory=list)

    def function(self, logical_id: str) -> FunctionSpec:
        """The function with this logical id."""
        for spec in self.functions:
            if spec.logical_id == logical_id:
                return spec
        raise KeyError(logical_id)


def _events_of(
    properties: Mapping[str, Any], default_auth: str
) -> tuple[list[HttpRoute], list[SqsSource], list[Schedule]]:
    routes: list[HttpRoute] = []
    sqs_sources: list[SqsSource] = []
    schedules: list[Schedule] = []
    for name, event in (properties.get("Events") or {}).items():
        kind = event.get("Type")
        props = event.get("Properties") or {}
        if kind == "HttpApi":
            auth = (props.get("Auth") or {}).get("Authorizer", default_auth)
            routes.append(HttpRoute(method=str(props.get("Method", "ANY")).upper(), path=props["Path"], auth=auth))
        elif kind == "SQS":
            queue = props["Queue"]
            sqs_sources.append(
                SqsSource(
                    queue_logical_id=queue["Fn::GetAtt"][0],
                    batch_size=int(props.get("BatchSize", 10)),
                    report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                )
            )
        elif kind in {"ScheduleV2", "Schedule"}:
            schedules.append(
                Schedule(name=name, expression=str(props.get("ScheduleExpression", "")), input=props.get("Input"))
            )
    return routes, sqs_sources, schedules


def read_stack(template_path: Path) -> StackSpec:
    """Reads the functions, queues and tables a template declares.

    Args:
        template_path: Path of ``template.yaml``; ``CodeUri`` is relative to its folder.

    Returns:
        The specs, with environment values still unresolved (see ``Resolver``).
    """
    template = load_template(template_path)
    root = template_path.parent
    parameters = {name: spec.get("Default") for name, spec in (template.get("Parameters") or {}).items()}
    globals_function = (template.get("Globals") or {}).get("Function") or {}
    global_env = (globals_function.get("Environment") or {}).get("Variables") or {}
    resources = template.get("Resources") or {}
    default_auth = "NONE"
    for resource in resources.values():
        if resource.get("Type") == "AWS::Serverless::HttpApi":
            default_auth = ((resource.get("Properties") or {}).get("Auth") or {}).get("DefaultAuthorizer", "NONE")

    functions, queues, tables = [], [], []
    buckets: list[BucketSpec] = []
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        properties = resource.get("Properties") or {}
        if kind == "AWS::Serverless::Function":
            routes, sqs_sources, schedules = _events_of(properties, default_auth)
            env = {**global_env, **((properties.get("Environment") or {}).get("Variables") or {})}
            functions.append(
                FunctionSpec(
                    logical_id=logical_id,
                    code_uri=(root / properties["CodeUri"]).resolve(),
                    handler=properties.get("Handler", globals_function.get("Handler", "app.lambda_handler")),
                    timeout=int(properties.get("Timeout", globals_function.get("Timeout", 3))),
                    memory_size=int(properties.get("MemorySize", globals_function.get("MemorySize", 128))),
                    environment=env,
                    routes=routes,
                    sqs_sources=sqs_sources,
                    schedules=schedules,
                )
            )
        elif kind == "AWS::SQS::Queue":
            queues.append(QueueSpec(logical_id, properties))
        elif kind == "AWS::DynamoDB::Table":
            tables.append(TableSpec(logical_id, properties))
        elif kind == "AWS::S3::Bucket":
            buckets.append(BucketSpec(logical_id))
    return StackSpec(
        root=root, parameters=parameters, functions=functions, queues=queues, tables=tables, buckets=buckets
    )


_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


@dataclass
class Resolver:
    """Resolves intrinsic functions against local resources.

    Attributes:
        parameters: Parameter values (template defaults unless overridden).
        refs: ``!Ref`` value of each local resource (table name, queue URL).
        attributes: ``!GetAtt`` values, keyed ``LogicalId.Attribute``.
        pseudo: Pseudo parameters (``AWS::Region`` and the like).
    """

    parameters: dict[str, Any]
    refs: dict[str, str]
    attributes: dict[str, str]
    pseudo: dict[str, str]

    def _ref(self, name: str) -> Any:
        for table in (self.pseudo, self.parameters, self.refs):
            if name in table:
                return table[name]
        raise KeyError(f"cannot resolve !Ref {name} locally")

    def _sub(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if "." in name:
                return self.attributes[name]
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text)

    def resolve(self, value: Any) -> Any:
        """Resolves a template value to a plain value."""
        if isinstance(value, dict) and len(value) == 1:
            ((key, argument),) = value.items()
            handlers: dict[str, Callable[[Any], Any]] = {
                "Ref": self._ref,
                "Fn::GetAtt": lambda arg: self.attributes[".".join(arg)],
                "Fn::Sub": lambda arg: self._sub(arg if isinstance(arg, str) else arg[0]),
                "Fn::Join": lambda arg: arg[0].join(str(self.resolve(part)) for part in arg[1]),
            }
            if key in handlers:
                return handlers[key](argument)
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value
