"""The reference schema every conformance case runs against.

Two small domains, as in the articles dbparity grew from: projects, workers and tasks (with
subtasks through a self-referencing foreign key, and labels through a many-to-many table), and
users with their orders. Plus one table per family of column types, for the types suite.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Integer,
    Interval,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Deterministic constraint names, so cases can check that an error names its constraint.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class TaskStatus(enum.Enum):
    pending = "pending"
    in_progress = "in_progress"
    completed = "completed"


task_labels = Table(
    "task_labels",
    Base.metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("label_id", ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True),
)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    tasks: Mapped[list[Task]] = relationship(back_populates="project", passive_deletes=True)


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(200))
    # Optional but unique when present: many workers may have none (NULLs never collide).
    badge: Mapped[str | None] = mapped_column(String(20), unique=True)

    __table_args__ = (CheckConstraint("type IN ('human', 'agent')", name="type"),)


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[TaskStatus] = mapped_column(
        SAEnum(TaskStatus, name="task_status", native_enum=True, create_constraint=True),
        default=TaskStatus.pending,
    )
    priority: Mapped[int] = mapped_column(default=0, server_default="0")
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("workers.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    parent_task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    due: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), onupdate=func.now()
    )

    project: Mapped[Project] = relationship(back_populates="tasks")
    created_by: Mapped[Worker] = relationship(foreign_keys=[created_by_id])
    assignee: Mapped[Worker | None] = relationship(foreign_keys=[assignee_id])
    parent: Mapped[Task | None] = relationship(back_populates="subtasks", remote_side=[id])
    subtasks: Mapped[list[Task]] = relationship(back_populates="parent", passive_deletes=True)
    labels: Mapped[list[Label]] = relationship(secondary=task_labels, back_populates="tasks")


class Label(Base):
    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)

    tasks: Mapped[list[Task]] = relationship(secondary=task_labels, back_populates="labels")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    profile: Mapped[dict[str, Any] | None]
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    orders: Mapped[list[Order]] = relationship(back_populates="user", passive_deletes=True)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    total: Mapped[decimal.Decimal] = mapped_column(Numeric(10, 2))
    placed_on: Mapped[dt.date] = mapped_column(server_default=func.current_date())

    user: Mapped[User] = relationship(back_populates="orders")

    __table_args__ = (CheckConstraint("total >= 0", name="total_not_negative"),)


class Counter(Base):
    """A table whose key comes from an explicit identity column, for sequence behaviour."""

    __tablename__ = "counters"

    id: Mapped[int] = mapped_column(Integer, Identity(start=100, increment=5), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    hits: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (UniqueConstraint("name"),)


class TypedValue(Base):
    """One column per type family the types suite round-trips."""

    __tablename__ = "typed_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    amount: Mapped[decimal.Decimal | None] = mapped_column(Numeric(20, 6))
    ratio: Mapped[float | None] = mapped_column(Double)
    big: Mapped[int | None] = mapped_column(BigInteger)
    stamp: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    naive_stamp: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=False))
    day: Mapped[dt.date | None]
    span: Mapped[dt.timedelta | None] = mapped_column(Interval)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    key: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    flag: Mapped[bool | None]
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    text: Mapped[str | None] = mapped_column(Text)
    short: Mapped[str | None] = mapped_column(String(5))
    status: Mapped[TaskStatus | None] = mapped_column(
        SAEnum(TaskStatus, name="typed_status", native_enum=True, create_constraint=True)
    )
