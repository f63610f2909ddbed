"""nbgrader configuration for the course (read from the repo root)."""
