"""Job runners: one module per job kind, all driven by the lifecycle in `base`."""
