from collections.abc import Callable
from typing import Any

import pytest
from notes.models import metadata


@pytest.fixture(scope="session")
def database_url() -> str:
    return "postgresql+asyncpg://postgres:masterkey@localhost/dbtest"


@pytest.fixture(scope="session")
def init_database() -> Callable[..., Any]:
    return metadata.create_all
