"""dbparity: how far does your test database stray from PostgreSQL, and what is the speed worth?"""

__version__ = "0.1.0"
