import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlmodel import select
from taskboard.models import Task, Worker
from taskboard.service import TaskService


async def test_task_belongs_to_project(task, project):
    assert task.project_id == project.id


async def test_task_has_creator(task, worker):
    assert task.created_by_id == worker.id


async def test_create_task(session, project, worker):
    task = await TaskService(session).create("New Task", project.id, worker.id)
    assert task.id is not None
    assert task.status == "pending"
    assert task.created_by_id == worker.id


async def test_get_task_by_id(session, task):
    found = await TaskService(session).get(task.id)
    assert found is not None and found.title == task.title


async def test_get_nonexistent_task(session):
    assert await TaskService(session).get(9999) is None


async def test_update_task(session, task):
    updated = await TaskService(session).update(task, title="Updated", status="in_progress")
    assert (updated.title, updated.status) == ("Updated", "in_progress")
    assert updated.updated_at is not None


async def test_delete_task(session, task):
    service = TaskService(session)
    task_id = task.id
    await service.delete(task)
    assert await service.get(task_id) is None


async def test_list_by_status(session, project, worker):
    session.add_all(
        [
            Task(title="Pending", project_id=project.id, created_by_id=worker.id),
            Task(title="Done", project_id=project.id, created_by_id=worker.id, status="done"),
        ]
    )
    await session.flush()
    found = await TaskService(session).list_by_project(project.id, status="pending")
    assert [t.title for t in found] == ["Pending"]


async def test_list_with_pagination(session, project, worker):
    for i in range(25):
        session.add(Task(title=f"Task {i}", project_id=project.id, created_by_id=worker.id))
    await session.flush()
    service = TaskService(session)
    first = await service.list_paginated(limit=10, offset=0)
    second = await service.list_paginated(limit=10, offset=10)
    assert len(first) == len(second) == 10
    assert {t.id for t in first}.isdisjoint({t.id for t in second})


async def test_task_with_subtasks(session, project, worker):
    parent = Task(title="Parent", project_id=project.id, created_by_id=worker.id)
    session.add(parent)
    await session.flush()
    for name in ("Child 1", "Child 2"):
        session.add(
            Task(
                title=name,
                project_id=project.id,
                created_by_id=worker.id,
                parent_task_id=parent.id,
            )
        )
    await session.flush()
    session.expunge_all()
    query = select(Task).where(Task.id == parent.id).options(selectinload(Task.subtasks))
    loaded = (await session.exec(query)).one()
    assert sorted(t.title for t in loaded.subtasks) == ["Child 1", "Child 2"]


async def test_duplicate_handle_fails(session):
    session.add(Worker(handle="@duplicate", type="human"))
    await session.flush()
    session.add(Worker(handle="@duplicate", type="agent"))
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_missing_required_field(session, project):
    session.add(Task(title="Missing Creator", project_id=project.id))
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_task_with_unknown_project(session, worker):
    session.add(Task(title="Orphan", project_id=9999, created_by_id=worker.id))
    with pytest.raises(IntegrityError):
        await session.flush()
