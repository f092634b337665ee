"""Errors raised by mltk.

Every error a user can cause subclasses :class:`MltkError` and :class:`ValueError`,
so ``except ValueError`` keeps working for callers who do not know mltk.
"""

from __future__ import annotations

__all__ = ["MltkError", "InputError", "UnknownAcceleratorError", "UnsupportedPrecisionError",
           "AssumptionsError"]


class MltkError(Exception):
    """Base class of every error mltk raises on purpose."""


class InputError(MltkError, ValueError):
    """A parameter has a value mltk cannot use.

    Parameters
    ----------
    parameter : str
        Name of the offending parameter, as the API spells it.
    value : object
        The value received.
    expected : str
        What would have been accepted.
    """

    def __init__(self, parameter: str, value: object, expected: str) -> None:
        self.parameter = parameter
        self.value = value
        self.expected = expected
        super().__init__(f"{parameter}={value!r} is invalid: expected {expected}")


class UnknownAcceleratorError(InputError, KeyError):
    """An accelerator name is not in the catalog; carries the closest names."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.suggestions = suggestions
        hint = ", ".join(suggestions) if suggestions else "none close"
        super().__init__("accelerator", name, f"a catalog name (closest: {hint})")

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.args[0]


class UnsupportedPrecisionError(InputError):
    """The accelerator has no published peak for the requested precision."""


class AssumptionsError(MltkError, ValueError):
    """The team-assumptions file is malformed; the message names the key and the file."""
