"""AlgorithmSpecification.MetricDefinitions: regexes over the job's log, the last match of each kept.

As SageMaker documents ("Define training metrics"): each Regex is searched in every log line and its
first capture group is the metric's value; FinalMetricDataList holds each metric's last value.
"""

from __future__ import annotations

import re
import time
from typing import Any


class MetricCollector:
    """Watches log lines for the job's metric definitions."""

    def __init__(self, definitions: list[dict[str, str]]) -> None:
        self._patterns = [(d["Name"], re.compile(d["Regex"])) for d in definitions]
        self._last: dict[str, tuple[float, float]] = {}

    def observe(self, line: str) -> None:
        for name, pattern in self._patterns:
            match = pattern.search(line)
            if match is None:
                continue
            try:
                value = float(match.group(1) if pattern.groups else match.group(0))
            except ValueError:
                continue  # a match that is not a number is no data point, as on SageMaker
            self._last[name] = (value, time.time())

    def final_metrics(self) -> list[dict[str, Any]]:
        return [
            {"MetricName": name, "Value": value, "Timestamp": at}
            for name, (value, at) in sorted(self._last.items())
        ]


def check_metric_definitions(definitions: list[dict[str, str]]) -> str | None:
    """A problem with the definitions, named by field, or None."""
    for index, definition in enumerate(definitions):
        try:
            re.compile(definition["Regex"])
        except re.error as exc:
            return (
                f"AlgorithmSpecification.MetricDefinitions[{index}].Regex: {definition['Regex']!r} is not a "
                f"valid regular expression ({exc})"
            )
    return None
