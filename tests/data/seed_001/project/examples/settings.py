import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class DbSettings:
    async_connection_string: str


@lru_cache
def get_db_settings() -> DbSettings:
    """The database comes from the environment (the test job sets it to the test database)."""
    default = "postgresql+asyncpg://examples:examples@localhost:5432/examples"
    return DbSettings(os.environ.get("DATABASE_URL", default))
