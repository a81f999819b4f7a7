"""Reading template.yaml: routes, queues, tables and intrinsic functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from pushgate_local.template import Resolver, load_template, read_stack

ROOT = Path(__file__).resolve().parents[3]


def test_short_form_tags_become_long_form() -> None:
    template = load_template(ROOT / "template.yaml")

    assert template["Globals"]["Function"]["Environment"]["Variables"]["TABLE_NAME"] == {"Ref": "MainTable"}
    redrive = template["Resources"]["DeliveryQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeliveryDLQ", "Arn"]}


def test_every_function_is_read_with_its_routes_and_auth() -> None:
    stack = read_stack(ROOT / "template.yaml")

    orgs = stack.function("ManageOrgsFunction")
    assert {(r.method, r.path, r.auth) for r in orgs.routes} == {
        ("POST", "/admin/v1/orgs", "AWS_IAM"),
        ("GET", "/admin/v1/orgs", "AWS_IAM"),
        ("GET", "/admin/v1/orgs/{orgId}", "AWS_IAM"),
    }
    assert orgs.code_uri == ROOT / "functions" / "manage_orgs"
    assert orgs.handler == "app.lambda_handler"
    assert stack.function("HealthFunction").routes[0].auth == "NONE"
    with pytest.raises(KeyError):
        stack.function("NoSuchFunction")


def test_queues_know_their_dead_letter_queue() -> None:
    queues = {q.logical_id: q for q in read_stack(ROOT / "template.yaml").queues}

    assert queues["DeliveryQueue"].dead_letter_logical_id == "DeliveryDLQ"
    assert queues["RegistrationQueue"].dead_letter_logical_id == "RegistrationDLQ"
    assert queues["DeliveryDLQ"].dead_letter_logical_id is None


def test_resolver_resolves_refs_attributes_subs_and_joins() -> None:
    resolver = Resolver(
        parameters={"Stage": "dev"},
        refs={"MainTable": "local-main"},
        attributes={"DeliveryQueue.Arn": "arn:aws:sqs:us-east-1:1:q"},
        pseudo={"AWS::Region": "us-east-1"},
    )

    assert resolver.resolve({"Ref": "MainTable"}) == "local-main"
    assert resolver.resolve({"Ref": "Stage"}) == "dev"
    assert resolver.resolve({"Fn::GetAtt": ["DeliveryQueue", "Arn"]}) == "arn:aws:sqs:us-east-1:1:q"
    assert (
        resolver.resolve({"Fn::Sub": "${Stage}-${AWS::Region}-${DeliveryQueue.Arn}"})
        == "dev-us-east-1-arn:aws:sqs:us-east-1:1:q"
    )
    assert resolver.resolve({"Fn::Join": ["/", ["a", {"Ref": "Stage"}]]}) == "a/dev"
    assert resolver.resolve({"Nested": [{"Ref": "Stage"}, 3]}) == {"Nested": ["dev", 3]}
    with pytest.raises(KeyError, match="cannot resolve !Ref Missing"):
        resolver.resolve({"Ref": "Missing"})
