"""Batch transform as SageMaker runs it: read, split, batch, invoke, join, filter and assemble."""
