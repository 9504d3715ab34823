"""The service's clock: epoch seconds to the millisecond, as SageMaker's JSON timestamps carry them.

Its own module so job runners need not import the API layer (operations) for it."""

from __future__ import annotations

import time


def now() -> float:
    return round(time.time(), 3)
