"""Developer entry points: the demo and helpers to run DAGs in-process."""
