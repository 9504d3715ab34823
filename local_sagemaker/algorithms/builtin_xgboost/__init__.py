"""SageMaker's built-in XGBoost algorithm (the sagemaker-xgboost 1.x contract), one module per concern."""
