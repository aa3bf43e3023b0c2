"""The schema a suite asks for, in whichever form it comes.

``dbparity_metadata`` may return a ``MetaData``, a declarative base (anything with a
``metadata`` attribute: ``DeclarativeBase`` subclasses, ``declarative_base()``, SQLModel), or a
sequence of either for projects with several bases. dbparity needs one ``MetaData`` to create
and empty the tables, so several are copied into one; the copies carry the same names, so DDL
and ``TRUNCATE`` act on exactly the tables the application's models use.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import MetaData


class SchemaError(TypeError):
    """What ``dbparity_metadata`` returned cannot be read as a schema."""


def one_metadata(value: object) -> MetaData | None:
    """The ``MetaData`` for ``value``; None when the suite declares no schema."""
    if value is None:
        return None
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        parts = [_metadata(item) for item in value]
        if len(parts) == 1:
            return parts[0]
        return _combined(parts)
    return _metadata(value)


def _metadata(value: object) -> MetaData:
    if isinstance(value, MetaData):
        return value
    metadata = getattr(value, "metadata", None)
    if isinstance(metadata, MetaData):
        return metadata
    raise SchemaError(
        f"dbparity_metadata returned {type(value).__name__}: return a MetaData, a declarative "
        "base (e.g. Base, SQLModel) or a list of them"
    )


def _combined(parts: list[MetaData]) -> MetaData:
    combined = MetaData()
    owner: dict[str, int] = {}
    for index, metadata in enumerate(parts):
        if any(m is metadata for m in parts[:index]):
            continue  # the same MetaData twice (two bases sharing one)
        for key, table in metadata.tables.items():
            if key in owner:
                raise SchemaError(
                    f"dbparity_metadata: table {key!r} is defined in schema {owner[key] + 1} "
                    f"and in schema {index + 1} of the list; give each table once"
                )
            owner[key] = index
            table.to_metadata(combined)
    return combined
