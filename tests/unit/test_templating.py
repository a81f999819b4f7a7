"""The personalization template engine: grammar, rendering rules, limits, hostile input."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from pushgate.templating import (
    MAX_NESTING_DEPTH,
    MAX_SOURCE_CHARS,
    RenderLimitError,
    TemplateSyntaxError,
    compile_template,
)


def render(source: str, contact: dict[str, Any] | None = None, trigger: dict[str, Any] | None = None) -> str:
    return compile_template(source).render({"contact": contact or {}, "trigger": trigger or {}})


# ---------------------------------------------------------------------------------- placeholders


def test_plain_text_is_constant_and_unchanged() -> None:
    compiled = compile_template("Your order shipped } { }}")
    assert compiled.is_constant
    assert compiled.render({}) == "Your order shipped } { }}"


def test_placeholders_read_contact_and_trigger_data() -> None:
    source = "Hi {{contact.firstname}}, order {{ trigger.orderNumber }} is on its way"
    assert render(source, {"firstname": "Ana"}, {"orderNumber": "A-1001"}) == "Hi Ana, order A-1001 is on its way"


@pytest.mark.parametrize("source_name", ["contact", "lead", "profile"])
def test_lead_and_profile_name_the_same_recipient_record(source_name: str) -> None:
    assert render(f"{{{{{source_name}.firstname}}}}", {"firstname": "Ana"}) == "Ana"


def test_nested_paths_follow_objects_only() -> None:
    trigger = {"order": {"shipping": {"city": "Lisboa"}}, "items": ["a", "b"]}
    assert render("{{trigger.order.shipping.city}}", trigger=trigger) == "Lisboa"
    assert render("[{{trigger.items.length}}]", trigger=trigger) == "[]"
    assert render("[{{trigger.order.shipping.city.name}}]", trigger=trigger) == "[]"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (3, "3"),
        (Decimal("3"), "3"),
        (Decimal("2.50"), "2.5"),
        (Decimal("1E+3"), "1000"),
        (2.5, "2.5"),
        (True, "true"),
        (False, "false"),
        ("", "-"),
        (None, "-"),
        ({"a": 1}, "-"),
        (["a"], "-"),
        (float("nan"), "-"),
    ],
)
def test_values_are_written_as_text_and_structured_or_empty_values_count_as_missing(value: Any, written: str) -> None:
    assert render('{{trigger.v | default: "-"}}', trigger={"v": value}) == written


def test_missing_data_writes_the_default_or_nothing_never_the_placeholder() -> None:
    assert render('Hi {{contact.firstname | default: "there"}}!') == "Hi there!"
    assert render("Hi {{contact.firstname}}!") == "Hi !"
    assert compile_template("{{contact.firstname}}").render({}) == ""


def test_defaults_may_contain_tag_characters_and_escapes() -> None:
    assert render(r'{{contact.x | default: "a }} b \"q\" \\ c\nd"}}') == 'a }} b "q" \\ c\nd'


def test_escaped_braces_are_literal_text() -> None:
    assert render(r"Use \{{contact.firstname}} to greet {{contact.firstname}}", {"firstname": "Ana"}) == (
        "Use {{contact.firstname}} to greet Ana"
    )


def test_placeholders_are_listed_once_in_order() -> None:
    compiled = compile_template("{{contact.a}} {{#if trigger.b}}{{contact.a}}{{else}}{{contact.c}}{{/if}}")
    assert compiled.placeholders == ("contact.a", "trigger.b", "contact.c")
    assert compiled.missing({"contact": {"a": "x"}}) == ("trigger.b", "contact.c")


# ---------------------------------------------------------------------------------- conditionals


def test_if_else_if_else_picks_the_first_true_branch() -> None:
    source = (
        '{{#if trigger.tier == "gold"}}Gold{{else if trigger.tier == "silver"}}Silver'
        "{{else if contact.vip}}VIP{{else}}Member{{/if}}"
    )
    assert render(source, trigger={"tier": "gold"}) == "Gold"
    assert render(source, trigger={"tier": "silver"}) == "Silver"
    assert render(source, {"vip": True}, {"tier": "bronze"}) == "VIP"
    assert render(source) == "Member"


@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        ("x", True),
        (1, True),
        (Decimal("0.5"), True),
        ({"a": 1}, True),
        ("", False),
        (0, False),
        (Decimal("0"), False),
        (False, False),
        (None, False),
        ({}, False),
        ([], False),
    ],
)
def test_bare_conditions_test_existence_and_truthiness(value: Any, truthy: bool) -> None:
    assert render("{{#if trigger.v}}yes{{else}}no{{/if}}", trigger={"v": value}) == ("yes" if truthy else "no")
    assert render("{{#if trigger.absent}}yes{{else}}no{{/if}}") == "no"


@pytest.mark.parametrize(
    ("condition", "trigger", "expected"),
    [
        ("trigger.n == 3", {"n": "3"}, True),
        ("trigger.n == 3", {"n": Decimal("3.0")}, True),
        ("trigger.n == 3", {"n": "three"}, False),
        ("trigger.n != 3", {"n": 4}, True),
        ('trigger.s == "Gold"', {"s": "gold"}, False),
        ("trigger.b == true", {"b": True}, True),
        ("trigger.b == false", {"b": False}, True),
        ("trigger.b == true", {"b": "true"}, True),
        ('trigger.missing == ""', {}, False),
        ('trigger.missing != "x"', {}, True),
        ("trigger.n == -1.5", {"n": -1.5}, True),
    ],
)
def test_equality_with_literals(condition: str, trigger: dict[str, Any], expected: bool) -> None:
    assert render(f"{{{{#if {condition}}}}}yes{{{{else}}}}no{{{{/if}}}}", trigger=trigger) == (
        "yes" if expected else "no"
    )


def test_blocks_nest() -> None:
    source = (
        "{{#if contact.firstname}}Hi {{contact.firstname}}"
        "{{#if trigger.express}} (express){{else if trigger.tracking}} ({{trigger.tracking}}){{/if}}"
        "{{else}}Hello{{/if}}!"
    )
    assert render(source, {"firstname": "Ana"}, {"express": True}) == "Hi Ana (express)!"
    assert render(source, {"firstname": "Ana"}, {"tracking": "T1"}) == "Hi Ana (T1)!"
    assert render(source, {"firstname": "Ana"}) == "Hi Ana!"
    assert render(source) == "Hello!"


def test_nesting_up_to_the_limit_is_accepted() -> None:
    source = "{{#if trigger.a}}" * MAX_NESTING_DEPTH + "deep" + "{{/if}}" * MAX_NESTING_DEPTH
    assert render(source, trigger={"a": 1}) == "deep"


# ---------------------------------------------------------------------------------- escaping


def test_values_are_inserted_verbatim_and_stay_safe_in_json_payloads() -> None:
    hostile = '"}, "aps": {"alert": "pwned"}, "x": "\\\u0000\n</script>{{contact.secret}}'
    rendered = render("Hi {{contact.firstname}}", {"firstname": hostile, "secret": "S"})
    assert rendered == f"Hi {hostile}"
    payload = {"aps": {"alert": {"body": rendered}}}
    decoded = json.loads(json.dumps(payload, separators=(",", ":"), ensure_ascii=False))
    assert decoded == payload
    assert list(decoded["aps"]) == ["alert"]


def test_a_value_is_never_rendered_again() -> None:
    assert render("{{contact.a}}", {"a": "{{contact.b}}", "b": "leak"}) == "{{contact.b}}"


def test_an_escape_function_applies_to_values_and_defaults_not_to_text() -> None:
    compiled = compile_template('https://x.test/{{trigger.q | default: "a b"}}?v={{trigger.v}}', escape=str.upper)
    assert compiled.render({"trigger": {"v": "low"}}) == "https://x.test/A B?v=LOW"


def test_lookups_never_reach_attributes_of_python_objects() -> None:
    class Sneaky:
        secret = "attribute"

    assert render("[{{contact.secret}}][{{contact.__class__}}]", {"obj": Sneaky()}) == "[][]"
    assert render("[{{trigger.obj.secret}}]", trigger={"obj": Sneaky()}) == "[]"


# ---------------------------------------------------------------------------------- errors at compile time


@pytest.mark.parametrize(
    ("source", "offset", "words"),
    [
        ("Hi {{user.firstname}}", 5, "unknown data source 'user'"),
        ("Hi {{contact}}", 5, "needs an attribute"),
        ("Hi {{contact.firstname", 3, "not closed"),
        ("{{contact.a {{contact.b}}", 0, "before the next"),
        ("ab{{}}", 2, "empty tag"),
        ("{{contact.}}", 9, "a name must follow"),
        ("{{contact.a-b}}", 11, "unexpected character '-'"),
        ('{{contact.a | default "x"}}', 12, "a default is written"),
        ("{{contact.a | default: there}}", 23, "double quotes"),
        ('{{contact.a | default: "x" "y"}}', 27, "after the default"),
        ('{{contact.a | default: "x}}', 23, "not closed"),
        (r'{{contact.a | default: "\t"}}', 24, "unknown escape"),
        ("{{#if contact.a}}x", 0, "never closed"),
        ("x{{/if}}", 1, "without an opening"),
        ("{{else}}", 0, "outside"),
        ("{{#if contact.a}}a{{else}}b{{else}}c{{/if}}", 27, "nothing may follow"),
        ("{{#if contact.a}}a{{else}}b{{else if contact.b}}c{{/if}}", 27, "nothing may follow"),
        ("{{#if}}x{{/if}}", 0, "condition is missing"),
        ("{{#if contact.a = 1}}x{{/if}}", 16, "unexpected character '='"),
        ("{{#if contact.a ==}}x{{/if}}", 16, "a literal must follow"),
        ("{{#if contact.a == b}}x{{/if}}", 19, "expected a literal"),
        ("{{#if contact.a == 1 2}}x{{/if}}", 21, "after the condition"),
        ("{{#if contact.a}}x{{else when}}y{{/if}}", 25, "write '{{else}}'"),
        ("{{#if contact.a}}x{{/if contact.a}}", 24, "takes nothing else"),
        ("{{#each trigger.items}}x{{/each}}", 2, "unknown block '#each'"),
        ("{{{contact.a}}}", 2, "unexpected character '{'"),
        ("{{contact.a.b.c.d.e.f.g}}", 2, "at most 6 names"),
    ],
)
def test_malformed_templates_are_rejected_with_their_offset(source: str, offset: int, words: str) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        compile_template(source)
    assert words in caught.value.reason
    assert caught.value.offset == offset
    assert str(caught.value).startswith(f"at character {offset}: ")


# ---------------------------------------------------------------------------------- hostile input


def test_deeply_nested_blocks_are_refused_without_recursion() -> None:
    depth = 100_000
    source = "{{#if trigger.a}}" * depth
    with pytest.raises(TemplateSyntaxError) as caught:
        compile_template(source[:MAX_SOURCE_CHARS])
    assert "nest more than" in caught.value.reason
    assert caught.value.offset == MAX_NESTING_DEPTH * len("{{#if trigger.a}}")


def test_oversized_sources_are_refused() -> None:
    with pytest.raises(TemplateSyntaxError, match="at most 8192 characters"):
        compile_template("x" * (MAX_SOURCE_CHARS + 1))


def test_huge_values_stop_at_the_output_bound() -> None:
    compiled = compile_template("{{contact.a}}{{contact.a}}{{contact.a}}")
    with pytest.raises(RenderLimitError, match="more than 1000 characters"):
        compiled.render({"contact": {"a": "x" * 400}}, max_chars=1000)
    assert len(compiled.render({"contact": {"a": "x" * 300}}, max_chars=1000)) == 900


def test_many_placeholders_of_a_huge_value_fail_fast() -> None:
    source = "{{contact.a}}" * 600
    compiled = compile_template(source)
    # 600 copies of a megabyte would be 600 MB; the first write past the bound stops it.
    with pytest.raises(RenderLimitError, match="more than 8192 characters"):
        compiled.render({"contact": {"a": "y" * 1_000_000}})


def test_unclosed_quote_scanning_is_linear() -> None:
    source = '{{contact.a | default: "' + "\\x" * 4000
    with pytest.raises(TemplateSyntaxError, match="not closed"):
        compile_template(source)
