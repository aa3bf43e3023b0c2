"""Notes, and the queries the app runs on them."""
