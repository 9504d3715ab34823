"""The SageMaker Python SDK v3 against the local stack: its import needs a region (it builds clients at import)."""

from __future__ import annotations

import os

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
