"""The SageMaker container contract for the user's own code: isolation, toolkit environment, running."""
