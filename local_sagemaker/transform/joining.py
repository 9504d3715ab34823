"""DataProcessing applied per record: InputFilter before the model, JoinSource and OutputFilter after it.

Follows "Associate Prediction Results with Input Records"
(https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html): a CSV row is taken as
a JSON array of its cells; joining appends the prediction's cells to the input row. A JSON object gains the
prediction under `SageMakerOutput`; any other JSON value is wrapped as {"SageMakerInput": ..., "SageMakerOutput":
...}.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from local_sagemaker.s3io import DataError
from local_sagemaker.transform import jsonpath
from local_sagemaker.transform.settings import TransformSettings

CSV = "text/csv"


def parse_record(text: str, media: str) -> Any:
    if media == CSV:
        if '"' not in text:  # the common case, ten times faster than the csv module
            return text.split(",")
        return next(csv.reader([text]), [])
    return json.loads(text)


def format_record(value: Any, media: str) -> str:
    if media != CSV:
        return json.dumps(value, separators=(",", ":"))
    cells = value if isinstance(value, list) else [value]
    texts = [cell if isinstance(cell, str) else json.dumps(cell) for cell in cells]
    if any(("," in cell or '"' in cell or "\n" in cell) for cell in texts):
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(texts)
        return out.getvalue()
    return ",".join(texts)


def _prediction(text: str, media: str) -> Any:
    """A prediction as the join sees it: CSV cells, or the JSON value (a bare string when it is not JSON)."""
    if media == CSV:
        return parse_record(text, CSV)
    try:
        return json.loads(text)
    except ValueError:
        return text


class RecordProcessor:
    """Filters a mini-batch of records for the model, then joins and filters what the model answered."""

    def __init__(self, settings: TransformSettings, where: str) -> None:
        self.settings = settings
        self.where = where
        self.input_media = settings.media_type
        accept = settings.accept.split(";")[0].strip().lower()
        self.output_media = accept if accept in (CSV, "application/json", "application/jsonlines") else CSV
        # The joined record keeps the input's format; without a join it is the model's answer.
        self.joined_media = self.input_media if settings.join_source == "Input" else self.output_media

    def _select(self, field: str, expression: str, record: Any) -> Any:
        try:
            return jsonpath.select(expression, record)
        except jsonpath.JsonPathError as exc:
            raise DataError(f"{self.where}: DataProcessing.{field} {exc}") from exc

    def _records(self, texts: list[str], media: str, what: str) -> list[Any]:
        try:
            return [parse_record(text, media) for text in texts]
        except ValueError as exc:
            raise DataError(f"{self.where}: {what} is not {media} ({exc})") from exc

    def model_payload(self, records: list[str]) -> tuple[list[Any], bytes]:
        """The parsed input records (kept for the join) and the filtered payload sent to the model."""
        parsed = self._records(records, self.input_media, "an input record")
        if self.settings.input_filter == "$":
            return parsed, ("\n".join(records) + "\n").encode()
        lines = [
            format_record(self._select("InputFilter", self.settings.input_filter, record), self.input_media)
            for record in parsed
        ]
        return parsed, ("\n".join(lines) + "\n").encode()

    def output_records(self, inputs: list[Any], response: bytes) -> list[str]:
        answers = [line for line in response.decode("utf-8").splitlines() if line.strip()]
        if len(answers) != len(inputs):
            raise DataError(
                f"{self.where}: the model answered {len(answers)} record(s) for a mini-batch of {len(inputs)}; "
                "JoinSource and OutputFilter need one answer line per input record"
            )
        join: Callable[[Any, Any], Any] = self._joined if self.settings.join_source == "Input" else _answer
        output_filter = self.settings.output_filter
        results = []
        for record, answer in zip(inputs, answers, strict=True):
            joined = join(record, _prediction(answer, self.joined_media))
            if output_filter != "$":
                joined = self._select("OutputFilter", output_filter, joined)
            results.append(format_record(joined, self.joined_media))
        return results

    def _joined(self, record: Any, prediction: Any) -> Any:
        if self.input_media == CSV:
            return [*record, *(prediction if isinstance(prediction, list) else [prediction])]
        if isinstance(record, dict):
            return {**record, "SageMakerOutput": prediction}
        return {"SageMakerInput": record, "SageMakerOutput": prediction}


def _answer(record: Any, prediction: Any) -> Any:
    return prediction
