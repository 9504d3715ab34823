"""Airflow-side pieces of the retraining package: idempotent SageMaker operators, links, plugin pages."""
