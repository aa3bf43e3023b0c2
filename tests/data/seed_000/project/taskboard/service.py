from datetime import UTC, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from taskboard.models import Task


class TaskService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, title: str, project_id: int, created_by_id: int) -> Task:
        task = Task(title=title, project_id=project_id, created_by_id=created_by_id)
        self.session.add(task)
        await self.session.commit()
        await self.session.refresh(task)
        return task

    async def get(self, task_id: int) -> Task | None:
        return await self.session.get(Task, task_id)

    async def update(self, task: Task, **changes: object) -> Task:
        for name, value in changes.items():
            setattr(task, name, value)
        task.updated_at = datetime.now(UTC)
        await self.session.commit()
        await self.session.refresh(task)
        return task

    async def delete(self, task: Task) -> None:
        await self.session.delete(task)
        await self.session.commit()

    async def list_by_project(self, project_id: int, status: str | None = None) -> list[Task]:
        query = select(Task).where(Task.project_id == project_id)
        if status is not None:
            query = query.where(Task.status == status)
        return list((await self.session.exec(query.order_by(Task.id))).all())

    async def list_paginated(self, limit: int, offset: int) -> list[Task]:
        query = select(Task).order_by(Task.id).limit(limit).offset(offset)
        return list((await self.session.exec(query)).all())
