"""What the operator request bodies share: how a request model reads its input, and an id's bounds."""

from typing import Annotated

from pydantic import ConfigDict, StringConstraints

from pushgate.text import SINGLE_LINE

#: A request model refuses fields it does not know and never repeats the input in its errors.
REQUEST_CONFIG = ConfigDict(extra="forbid", hide_input_in_errors=True)
#: An id a request names (an app's, a message's, a segment's): one line of 1 to 256 characters, trimmed.
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), SINGLE_LINE]
