"""Plain-Python core of the retraining DAGs: settings, names, request builders, evaluation, registry logic."""
