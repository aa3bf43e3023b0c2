from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, status
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from examples.db import get_async_session


class Example(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    age: int
    nick_name: str | None = None


class ExampleIn(BaseModel):
    name: str
    age: int


Db = Annotated[AsyncSession, Depends(get_async_session)]
router = APIRouter(prefix="/api/async-examples")


async def _get(db: AsyncSession, example_id: int) -> Example:
    found = (await db.execute(select(Example).filter_by(id=example_id))).scalar_one_or_none()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such example")
    return found


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_example(payload: ExampleIn, db: Db) -> dict[str, Example]:
    example = Example(name=payload.name, age=payload.age)
    db.add(example)
    await db.commit()
    await db.refresh(example)
    return {"data": example}


@router.get("/{example_id}")
async def get_example(example_id: int, db: Db) -> dict[str, Example]:
    return {"data": await _get(db, example_id)}


@router.put("/{example_id}")
async def put_example(example_id: int, payload: ExampleIn, db: Db) -> dict[str, Example]:
    await _get(db, example_id)
    changes = {"name": payload.name, "age": payload.age}
    await db.execute(update(Example).where(Example.id == example_id).values(**changes))
    await db.commit()
    return {"data": await _get(db, example_id)}


app = FastAPI()
app.include_router(router)
