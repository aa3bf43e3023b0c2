from datetime import UTC, datetime

from sqlmodel import Field, Relationship, SQLModel


class Project(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    status: str = "active"


class Worker(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(unique=True)
    type: str
    email: str | None = None


class Task(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str = "pending"
    project_id: int = Field(foreign_key="project.id")
    created_by_id: int | None = Field(default=None, foreign_key="worker.id", nullable=False)
    parent_task_id: int | None = Field(default=None, foreign_key="task.id")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime | None = None

    subtasks: list["Task"] = Relationship(sa_relationship_kwargs={"lazy": "raise"})
