"""Names the built-in XGBoost container fixes: its channels, its model file, its documentation."""

MODEL_FILE_NAME = "xgboost-model"
TRAIN, VALIDATION, MODEL = "train", "validation", "model"
DOCS = "https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost_hyperparameters.html"
