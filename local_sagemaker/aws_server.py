"""One local AWS endpoint: durable S3 (ObjectStore), durable CloudWatch Logs (moto + journal), and moto for
the rest (IAM, STS), told apart by the service in each request's signature.

`python -m local_sagemaker.aws_server --data-dir DIR --host H --port P`; `GET /_local/health` answers
with the build it runs (a bucket name cannot contain `_`, so the path never shadows a bucket)."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from local_sagemaker import iam_simulation
from local_sagemaker.build import build_id
from local_sagemaker.logs_journal import TARGET_PREFIX, LogsJournal
from local_sagemaker.objectstore import ObjectStore
from local_sagemaker.s3_api import S3Api

HEALTH_PATH = "/_local/health"
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_QUERY_SCOPE = re.compile(
    r"X-Amz-Credential=[^/&]+%2F\d{8}%2F([^%&]+)%2F([^%&]+)%2Faws4_request", re.IGNORECASE
)


def request_service(environ: dict[str, Any]) -> str:
    """The AWS service a request is for: its X-Amz-Target, else its SigV4 scope, else S3 (as moto does)."""
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith(TARGET_PREFIX):
        return "logs"
    if environ.get("PATH_INFO", "").startswith("/moto-api"):
        return "moto-api"
    found = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", "")) or _QUERY_SCOPE.search(
        environ.get("QUERY_STRING", "")
    )
    return found.group(2) if found else "s3"


class AwsEndpoint:
    def __init__(self, data_dir: Path, region: str = "us-east-1", fsync: bool = False) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        # moto's IAM lacks SimulatePrincipalPolicy, which the SageMaker SDK's role check calls.
        iam_simulation.install()
        self.moto: Callable[..., Iterable[bytes]] = DomainDispatcherApplication(create_backend_app)
        self.objects = ObjectStore(data_dir / "s3", fsync)
        self.s3 = S3Api(self.objects, region)
        self.logs = LogsJournal(data_dir / "logs" / "journal.sqlite3", self.moto)
        self.replayed = self.logs.replay()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            objects, size = self.objects.usage()
            body = json.dumps(
                {
                    "build": build_id(),
                    "objects": objects,
                    "object_bytes": size,
                    "logs_bytes": self.logs.size_bytes(),
                }
            ).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        service = request_service(environ)
        if service == "s3":
            return self.s3(environ, start_response)
        if service == "logs":
            return self.logs(environ, start_response)
        return self.moto(environ, start_response)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_sagemaker.aws_server", description=__doc__)
    parser.add_argument("--data-dir", required=True, help="where S3 objects and the Logs journal live")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--fsync",
        action="store_true",
        help="wait for the disk on every write: objects also survive a power cut",
    )
    args = parser.parse_args(argv)
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import run_simple

    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = AwsEndpoint(Path(args.data_dir), args.region, args.fsync)
    print(f"local AWS endpoint: data in {args.data_dir}, {app.replayed} Logs changes replayed", flush=True)
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
