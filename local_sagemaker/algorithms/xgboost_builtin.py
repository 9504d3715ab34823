"""The built-in XGBoost algorithm's public face: what runners, the tuning API and tests call.

The contract itself lives in `builtin_xgboost/`, one module per concern (hyperparameters, data formats,
metrics, model files, training, inference)."""

from local_sagemaker.algorithms.builtin_xgboost.hyperparameters import parse_hyperparameters
from local_sagemaker.algorithms.builtin_xgboost.inference import predict_file
from local_sagemaker.algorithms.builtin_xgboost.metrics import SUPPORTED_METRICS, metric_definitions
from local_sagemaker.algorithms.builtin_xgboost.model_files import load_model_from_dir
from local_sagemaker.algorithms.builtin_xgboost.names import MODEL_FILE_NAME
from local_sagemaker.algorithms.builtin_xgboost.training import TrainingResult, train
from local_sagemaker.job_errors import AlgorithmError

__all__ = [
    "MODEL_FILE_NAME",
    "SUPPORTED_METRICS",
    "AlgorithmError",
    "TrainingResult",
    "load_model_from_dir",
    "metric_definitions",
    "parse_hyperparameters",
    "predict_file",
    "train",
]
