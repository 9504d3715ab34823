"""SageMaker Pipelines on the local service: the definition language, its steps and the execution engine."""
