"""Built-in algorithms the local service can run."""
