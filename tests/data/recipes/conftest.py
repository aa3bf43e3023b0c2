"""The README's recipes, as a user's conftest.py has them."""

import httpx
import pytest
from app import Base, app, get_session
from sqlmodel import SQLModel


@pytest.fixture(scope="session")
def dbparity_metadata():
    return [Base, SQLModel]  # several bases: a declarative base and SQLModel's


@pytest.fixture
async def db(session):
    """The project's own fixture name, kept: tests that ask for `db` get dbparity's session."""
    yield session


@pytest.fixture
async def client(session):
    """FastAPI: the request-scoped session dependency replaced by dbparity's session."""
    app.dependency_overrides[get_session] = lambda: session
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    app.dependency_overrides.clear()
