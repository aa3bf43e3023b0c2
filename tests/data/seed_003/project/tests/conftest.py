import os
from collections.abc import Callable
from typing import Any

import pytest
from notes.models import metadata


@pytest.fixture(scope="session")
def database_url() -> str:
    return os.environ["DATABASE_URL"]


@pytest.fixture(scope="session")
def init_database() -> Callable[..., Any]:
    return metadata.create_all
