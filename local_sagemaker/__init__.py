"""A local, SageMaker-compatible service that validates requests like AWS and really runs the jobs."""
