"""The bases of the domain's entities and value objects."""

import abc

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """A pydantic model that cannot change once built: a changed entity is a new one (``model_copy``)."""

    model_config = ConfigDict(frozen=True)


class LogSafe(abc.ABC):
    """A repr and str that show only the fields named safe for logs (``_log_fields``).

    Queue messages carry device tokens, personal data or an ApiToken, none of which may reach a
    log line, even through a repr in a traceback; a model lists what it may show, not what it hides.
    """

    __slots__ = ()

    @abc.abstractmethod
    def _log_fields(self) -> dict[str, object]:
        """The fields (or what is derived from them, such as a count) a log line may show."""

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self._log_fields().items())
        return f"{type(self).__name__}({shown})"

    __str__ = __repr__
