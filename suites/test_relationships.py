"""Relationships: eager loading, self-reference, many-to-many, and what the foreign keys enforce."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, MissingGreenlet, StatementError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from suites.schema import Label, Project, Task, Worker, task_labels


@pytest.fixture
async def tree(session: AsyncSession, project: Project, worker: Worker) -> Task:
    """A root task with two subtasks, the first of which has one subtask of its own."""

    def new(title: str, parent: Task | None = None) -> Task:
        return Task(title=title, project=project, created_by=worker, parent=parent)

    root = new("root")
    first = new("first", root)
    second = new("second", root)
    grandchild = new("grandchild", first)
    session.add_all([root, first, second, grandchild])
    await session.flush()
    session.expunge_all()  # later loads must come from the database, not the identity map
    return root


async def _count(session: AsyncSession, model: Any, *criteria: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*criteria)) or 0)


# --- eager loading -------------------------------------------------------------------------------


async def test_selectinload_loads_one_to_many(
    session: AsyncSession, project: Project, worker: Worker
) -> None:
    """selectinload fills a project's task list in one extra query, in insertion order by key."""
    session.add_all(
        Task(title=f"t{i}", project_id=project.id, created_by_id=worker.id) for i in range(3)
    )
    await session.flush()
    session.expunge_all()
    loaded = await session.scalar(
        select(Project).where(Project.id == project.id).options(selectinload(Project.tasks))
    )
    assert loaded is not None
    assert sorted(t.title for t in loaded.tasks) == ["t0", "t1", "t2"]


async def test_joinedload_loads_many_to_one(session: AsyncSession, task: Task) -> None:
    """joinedload fetches a task's project and creator in the same query."""
    session.expunge_all()
    loaded = await session.scalar(
        select(Task)
        .where(Task.id == task.id)
        .options(joinedload(Task.project), joinedload(Task.created_by))
    )
    assert loaded is not None
    assert (loaded.project.name, loaded.created_by.handle) == ("Apollo", "@tester")


async def test_joinedload_collection_rows_are_deduplicated(
    session: AsyncSession, project: Project, worker: Worker
) -> None:
    """joinedload of a collection returns each parent once after unique()."""
    session.add_all(
        Task(title=f"j{i}", project_id=project.id, created_by_id=worker.id) for i in range(4)
    )
    await session.flush()
    session.expunge_all()
    result = await session.execute(select(Project).options(joinedload(Project.tasks)))
    projects = result.unique().scalars().all()
    assert len(projects) == 1
    assert len(projects[0].tasks) == 4


async def test_selectinload_loads_subtasks(session: AsyncSession, tree: Task) -> None:
    """A self-referencing relationship loads a task's direct subtasks with selectinload."""
    root = await session.scalar(
        select(Task).where(Task.id == tree.id).options(selectinload(Task.subtasks))
    )
    assert root is not None
    assert sorted(t.title for t in root.subtasks) == ["first", "second"]


async def test_nested_selectinload_reaches_grandchildren(session: AsyncSession, tree: Task) -> None:
    """Chained selectinload loads two levels of subtasks without lazy loading."""
    root = await session.scalar(
        select(Task)
        .where(Task.id == tree.id)
        .options(selectinload(Task.subtasks).selectinload(Task.subtasks))
    )
    assert root is not None
    grandchildren = {c.title: [g.title for g in c.subtasks] for c in root.subtasks}
    assert grandchildren == {"first": ["grandchild"], "second": []}


async def test_joinedload_loads_parent_task(session: AsyncSession, tree: Task) -> None:
    """joinedload follows the self-reference upwards (subtask -> parent) through an alias."""
    leaf = await session.scalar(
        select(Task)
        .where(Task.title == "grandchild")
        .options(joinedload(Task.parent).joinedload(Task.parent))
    )
    assert leaf is not None
    assert leaf.parent is not None
    assert leaf.parent.parent is not None
    assert (leaf.parent.title, leaf.parent.parent.title) == ("first", "root")


# --- many-to-many ---------------------------------------------------------------------------------


async def test_many_to_many_links_load_both_ways(session: AsyncSession, task: Task) -> None:
    """Labels attached to a task load from the task and the task loads from each label."""
    await session.refresh(task, ["labels"])
    task.labels.extend([Label(name="urgent"), Label(name="backend")])
    await session.flush()
    session.expunge_all()
    loaded = await session.scalar(
        select(Task).where(Task.id == task.id).options(selectinload(Task.labels))
    )
    urgent = await session.scalar(
        select(Label).where(Label.name == "urgent").options(selectinload(Label.tasks))
    )
    assert loaded is not None
    assert urgent is not None
    assert sorted(label.name for label in loaded.labels) == ["backend", "urgent"]
    assert [t.title for t in urgent.tasks] == ["Write the plan"]


async def test_many_to_many_unlink_deletes_association_row(
    session: AsyncSession, task: Task
) -> None:
    """Removing a label from a task deletes the link row and keeps the label."""
    await session.refresh(task, ["labels"])
    task.labels.extend([Label(name="keep"), Label(name="drop")])
    await session.flush()
    task.labels = [label for label in task.labels if label.name == "keep"]
    await session.flush()
    assert await _count(session, task_labels) == 1
    assert await _count(session, Label) == 2


# --- what the foreign keys do ---------------------------------------------------------------------


async def test_on_delete_cascade_removes_children(session: AsyncSession, task: Task) -> None:
    """Deleting a project removes its tasks through ON DELETE CASCADE."""
    await session.execute(delete(Project).where(Project.id == task.project_id))
    assert await _count(session, Task) == 0


async def test_self_referencing_cascade_removes_whole_subtree(
    session: AsyncSession, tree: Task
) -> None:
    """Deleting a root task cascades through every level of its subtasks."""
    await session.execute(delete(Task).where(Task.id == tree.id))
    assert await _count(session, Task) == 0


async def test_on_delete_set_null_clears_reference(session: AsyncSession, task: Task) -> None:
    """Deleting a task's assignee sets the task's assignee to NULL and keeps the task."""
    assignee = Worker(handle="@leaving", type="human")
    session.add(assignee)
    await session.flush()
    await session.execute(update(Task).where(Task.id == task.id).values(assignee_id=assignee.id))
    await session.execute(delete(Worker).where(Worker.id == assignee.id))
    assert await session.scalar(select(Task.assignee_id).where(Task.id == task.id)) is None


async def test_cascade_on_label_delete_removes_links(session: AsyncSession, task: Task) -> None:
    """Deleting a label removes its link rows through the association table's cascade."""
    await session.refresh(task, ["labels"])
    task.labels.append(Label(name="temporary"))
    await session.flush()
    await session.execute(delete(Label).where(Label.name == "temporary"))
    assert await _count(session, task_labels) == 0
    assert await _count(session, Task) == 1


async def test_delete_of_referenced_row_is_refused(session: AsyncSession, task: Task) -> None:
    """Deleting a worker that tasks still reference (no ON DELETE action) raises IntegrityError."""
    with pytest.raises(IntegrityError):
        await session.execute(delete(Worker).where(Worker.id == task.created_by_id))


async def test_reference_to_missing_row_is_refused(
    session: AsyncSession, project: Project, worker: Worker
) -> None:
    """Inserting a task whose project does not exist raises IntegrityError."""
    session.add(Task(title="orphan", project_id=project.id + 10_000, created_by_id=worker.id))
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_changing_a_referenced_key_is_refused(session: AsyncSession, task: Task) -> None:
    """Changing a project's key while tasks point at it raises IntegrityError (no ON UPDATE)."""
    with pytest.raises(IntegrityError):
        await session.execute(
            update(Project).where(Project.id == task.project_id).values(id=task.project_id + 10)
        )


async def test_lazy_load_outside_await_raises_missing_greenlet(
    session: AsyncSession, task: Task
) -> None:
    """Touching an unloaded relationship on an async session raises MissingGreenlet (wrapped in
    StatementError by some drivers) instead of running a query; eager-load or refresh it."""
    session.expunge_all()
    loaded = await session.get(Task, task.id)
    assert loaded is not None
    with pytest.raises((MissingGreenlet, StatementError)) as caught:
        _ = loaded.project.name
    assert "greenlet" in str(caught.value)
    await session.refresh(loaded, ["project"])
    assert loaded.project.name == "Apollo"
