"""Scripts that run inside SageMaker containers (processing jobs)."""
