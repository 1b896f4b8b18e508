"""Business logic between the blueprints/jobs and SQL."""
