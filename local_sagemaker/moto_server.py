"""moto's server for the local stack's S3, CloudWatch Logs, IAM and STS, with the IAM operations it lacks.

`python -m local_sagemaker.moto_server -H HOST -p PORT` takes moto_server's own arguments."""

from __future__ import annotations

import sys

from local_sagemaker import iam_simulation


def main() -> None:
    from moto.server import main as moto_main

    iam_simulation.install()
    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
