"""RQ jobs: thin functions that take IDs and call a service inside the app context."""
