"""Entry point of one distributed XGBoost host process: import xgboost without scikit-learn, then run.

xgboost imports scikit-learn at its own import when it is installed, for its sklearn-style wrappers,
which a host never uses: that was 2.8 of the 3.5 CPU seconds the import cost (`python -X importtime`),
paid by every host at start, where the single-host path finds xgboost already imported in its worker.
scikit-learn stays importable afterwards (the libsvm reader uses it).
"""

from __future__ import annotations

import sys


def _import_xgboost_without_sklearn() -> None:
    hidden = "sklearn" not in sys.modules
    if hidden:
        sys.modules["sklearn"] = None  # type: ignore[assignment]  # `import sklearn` now raises ImportError
    try:
        import xgboost  # noqa: F401
    finally:
        if hidden:
            del sys.modules["sklearn"]


if __name__ == "__main__":
    _import_xgboost_without_sklearn()
    from local_sagemaker.algorithms.builtin_xgboost.distributed import main

    sys.exit(main())
