"""A small task board: projects, the workers in them, and their tasks."""
