"""Key builders, and their agreement with docs/data-model.md and the template."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pushgate.adapters.dynamodb import keys
from pushgate_local.template import read_stack

ROOT = Path(__file__).resolve().parents[2]


def test_org_key_layout() -> None:
    assert keys.org_key("0b7c6f9e-2f44-4d1e-9a57-3c1e6f1d2a10").as_dict() == {
        "pk": "ORG#0b7c6f9e-2f44-4d1e-9a57-3c1e6f1d2a10",
        "sk": "ORG",
    }


@pytest.mark.parametrize("bad", ["", "a#b", "#"])
def test_key_components_cannot_collide_across_tenants(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid key component"):
        keys.org_partition(bad)


def test_table_attribute_names_match_the_template() -> None:
    table = next(t for t in read_stack(ROOT / "template.yaml").tables if t.logical_id == "MainTable")
    properties = table.properties
    assert [k["AttributeName"] for k in properties["KeySchema"]] == [keys.PARTITION_KEY, keys.SORT_KEY]
    gsi = {g["IndexName"]: [k["AttributeName"] for k in g["KeySchema"]] for g in properties["GlobalSecondaryIndexes"]}
    assert gsi == {
        keys.GSI1_NAME: [keys.GSI1_PARTITION_KEY, keys.GSI1_SORT_KEY],
        keys.GSI2_NAME: [keys.GSI2_PARTITION_KEY, keys.GSI2_SORT_KEY],
        keys.GSI3_NAME: [keys.GSI2_PARTITION_KEY, keys.GSI2_SORT_KEY],
        keys.GSI4_NAME: [keys.GSI2_PARTITION_KEY, keys.GSI4_SORT_KEY],
    }
    assert properties["TimeToLiveSpecification"]["AttributeName"] == keys.TTL_ATTRIBUTE


def test_data_model_doc_lists_every_key_layout_of_the_code() -> None:
    # The doc's table rows (| Item | pk | sk |) and the module docstring's rows must agree.
    def rows(text: str) -> set[tuple[str, str, str]]:
        found = set()
        for line in text.splitlines():
            cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            if len(cells) >= 3 and re.match(r"^[A-Z]+#", cells[1]):
                found.add((cells[0], cells[1], cells[2]))
        return found

    documented = rows((ROOT / "docs" / "data-model.md").read_text())
    coded = rows(keys.__doc__ or "")
    assert coded
    assert coded <= documented
