"""How the dev server frames a request body from its Content-Length headers (RFC 9112, section 6.3)."""

from __future__ import annotations

import pytest

from pushgate_local.runtime import content_length


@pytest.mark.parametrize(
    ("values", "length"),
    [([], 0), (["0"], 0), (["48"], 48), (["48", "48"], 48), (["48, 48"], 48), ([" 7 "], 7), (["007"], 7)],
)
def test_whole_numbers_and_repeated_equal_values_frame_the_body(values: list[str], length: int) -> None:
    assert content_length(values) == length


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (["abc"], "whole number"),
        (["1e3"], "whole number"),
        (["-1"], "whole number"),
        (["+48"], "whole number"),
        (["4_8"], "whole number"),
        (["\u0664\u0668"], "whole number"),  # Arabic-Indic digits: int() would take them
        ([""], "whole number"),
        (["48", "12"], "different values (12, 48)"),
        (["48,12"], "different values (12, 48)"),
    ],
)
def test_anything_else_is_refused_with_the_problem(values: list[str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        content_length(values)
