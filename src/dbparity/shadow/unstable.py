"""Rule ``unstable-bind``: column types that turn one value into a new one at every write.

A ``TypeDecorator`` may salt or randomise what it stores (``sqlalchemy_utils``' PasswordType
hashes with a fresh salt). The shadow runs the user's statement again, so its row holds a hash
of its own: not a difference of the databases. Each such type class is tried once, on the
first value written through it: processed twice, does it give two values? Its result columns
are then left out of every comparison (``values.without_columns``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.types import TypeDecorator


class UnstableTypes:
    """What this run has learnt about its ``TypeDecorator`` classes."""

    def __init__(self) -> None:
        self._known: dict[type[Any], bool] = {}

    def learn(self, context: Any, dialect: Any) -> None:
        """Try each not-yet-known ``TypeDecorator`` bound in this statement, once."""
        compiled = getattr(context, "compiled", None)
        binds = getattr(compiled, "binds", None)
        if not binds:
            return
        values = (getattr(context, "compiled_parameters", None) or [{}])[0]
        for name, bind in binds.items():  # compiled_parameters are keyed by these names
            kind = type(bind.type)
            if not isinstance(bind.type, TypeDecorator) or kind in self._known:
                continue
            value = values.get(name)
            if value is None:
                continue
            try:
                first = bind.type.process_bind_param(value, dialect)
                second = bind.type.process_bind_param(value, dialect)
                self._known[kind] = bool(first != second)
            except Exception:  # a processor that refuses to run twice: assume it is stable
                self._known[kind] = False

    def result_columns(self, context: Any) -> frozenset[int]:
        """Positions of the statement's result columns whose type is unstable."""
        compiled = getattr(context, "compiled", None)
        entries = getattr(compiled, "_result_columns", None) or []
        return frozenset(
            index for index, entry in enumerate(entries) if self._known.get(type(entry[3]))
        )
