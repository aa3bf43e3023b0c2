from examples.main import Example
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def test_get_example(
    async_client: AsyncClient, async_db: AsyncSession, async_example_orm: Example
) -> None:
    response = await async_client.get(f"/api/async-examples/{async_example_orm.id}")
    assert response.status_code == 200
    assert response.json()["data"]["nick_name"] == "my_nick"


async def test_update_example(
    async_client: AsyncClient, async_db: AsyncSession, async_example_orm: Example
) -> None:
    payload = {"name": "updated_name", "age": 20}
    response = await async_client.put(f"/api/async-examples/{async_example_orm.id}", json=payload)
    assert response.status_code == 200
    await async_db.refresh(async_example_orm)
    assert async_example_orm.name == response.json()["data"]["name"] == "updated_name"


async def test_create_example(async_client: AsyncClient, async_db: AsyncSession) -> None:
    response = await async_client.post("/api/async-examples", json={"name": "new", "age": 3})
    assert response.status_code == 201
    created = await async_db.get(Example, response.json()["data"]["id"])
    assert created is not None and created.name == "new"


async def test_missing_example_is_404(async_client: AsyncClient, async_db: AsyncSession) -> None:
    response = await async_client.get("/api/async-examples/424242")
    assert response.status_code == 404


async def test_each_test_starts_empty(async_db: AsyncSession) -> None:
    assert await async_db.scalar(select(func.count()).select_from(Example)) == 0
