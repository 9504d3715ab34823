"""Errors a job's own code or data cause: they become the job's FailureReason, not a service failure."""


class AlgorithmError(Exception):
    """A user error in the job's configuration or data: the message becomes the job's FailureReason."""
