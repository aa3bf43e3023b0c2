"""A FastAPI service with an async SQLAlchemy session per request."""
