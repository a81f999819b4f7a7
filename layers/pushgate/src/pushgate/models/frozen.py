"""The base of the domain's entities and value objects."""

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """A pydantic model that cannot change once built: a changed entity is a new one (``model_copy``)."""

    model_config = ConfigDict(frozen=True)
