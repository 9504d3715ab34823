"""SDK v3: a Model (sagemaker.core.resources) with its inference code in model.tar.gz serves a Transformer job.

The case of issue 14, as a new user writes it: code repacked into model.tar.gz under code/ (what the SDK's
repack does, SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code), then sagemaker-core's Transformer.transform with
input_filter / join_source / output_filter as "Associate Prediction Results with Input Records" documents for
JSON Lines (https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html).
"""

from __future__ import annotations

import io
import json
import tarfile
import textwrap
from typing import Any

import numpy as np

from tests.support.sagemaker_api import ROLE, XGBOOST_IMAGE, unique

INFERENCE = textwrap.dedent(
    """
    import json, os
    import xgboost as xgb

    def model_fn(model_dir):
        booster = xgb.Booster()
        booster.load_model(os.path.join(model_dir, "xgboost-model"))
        return booster

    def input_fn(body, content_type):
        return [json.loads(line) for line in body.decode().splitlines() if line.strip()]

    def predict_fn(rows, booster):
        return booster.inplace_predict(rows)

    def output_fn(predictions, accept):
        return "".join(json.dumps(round(float(p), 5)) + "\\n" for p in predictions)
    """
)


def test_transformer_joins_ids_to_user_code_predictions(local_stack: Any, s3: Any) -> None:
    import xgboost
    from sagemaker.core.resources import Model
    from sagemaker.core.shapes import ContainerDefinition
    from sagemaker.core.transformer import Transformer

    rng = np.random.default_rng(11)
    features = rng.normal(size=(50, 3))
    booster = xgboost.train(
        {"max_depth": 2}, xgboost.DMatrix(features, label=features[:, 0]), num_boost_round=3
    )
    bucket, prefix = local_stack.bucket, unique("sdk-transform")
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in {
            "xgboost-model": bytes(booster.save_raw("ubj")),
            "code/inference.py": INFERENCE.encode(),
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    s3.put_object(Bucket=bucket, Key=f"{prefix}/model/model.tar.gz", Body=archive.getvalue())
    rows = features[:6]
    records = "".join(json.dumps({"id": f"c{i}", "features": r.tolist()}) + "\n" for i, r in enumerate(rows))
    s3.put_object(Bucket=bucket, Key=f"{prefix}/input/customers.jsonl", Body=records.encode())

    model = Model.create(
        model_name=unique("sdk-model"),
        primary_container=ContainerDefinition(
            image=XGBOOST_IMAGE,
            model_data_url=f"s3://{bucket}/{prefix}/model/model.tar.gz",
            environment={
                "SAGEMAKER_PROGRAM": "inference.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            },
        ),
        execution_role_arn=ROLE,
    )
    transformer = Transformer(
        model_name=model.model_name,
        instance_count=1,
        instance_type="ml.m5.large",
        strategy="MultiRecord",
        assemble_with="Line",
        accept="application/jsonlines",
        output_path=f"s3://{bucket}/{prefix}/output",
        max_concurrent_transforms=1,
    )
    transformer.transform(
        f"s3://{bucket}/{prefix}/input/",
        content_type="application/jsonlines",
        split_type="Line",
        input_filter="$.features",
        join_source="Input",
        output_filter="$['id','SageMakerOutput']",
        wait=False,
    )
    transformer.latest_transform_job.wait(poll=1)  # the SDK's own waiter, polled faster than its 5 s default
    body = s3.get_object(Bucket=bucket, Key=f"{prefix}/output/customers.jsonl.out")["Body"].read().decode()
    expected = [
        {"id": f"c{i}", "SageMakerOutput": round(float(p), 5)}
        for i, p in enumerate(booster.inplace_predict(rows))
    ]
    assert [json.loads(line) for line in body.splitlines()] == expected
