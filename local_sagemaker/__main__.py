"""Command line: `python -m local_sagemaker serve ...` runs the service in the foreground; `doctor` checks
that the state it describes still has its data in S3."""

from __future__ import annotations

import argparse
import errno
import ipaddress
import logging
import os
import socket
import sys
from pathlib import Path

from pydantic import ValidationError

from local_sagemaker.config import WORKER_START_CHOICES


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


# Credentials can come from the environment so a real secret need not show in `ps`.
ACCESS_KEY_ENV = "LOCAL_SAGEMAKER_ACCESS_KEY_ID"
SECRET_KEY_ENV = "LOCAL_SAGEMAKER_SECRET_ACCESS_KEY"
DEFAULT_HOST = "127.0.0.1"
WORKER_START_ENV = "LOCAL_SAGEMAKER_WORKER_START"
QUOTAS_ENV = "LOCAL_SAGEMAKER_INSTANCE_QUOTAS"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from local_sagemaker import faults, quotas
    from local_sagemaker.app import build_context, create_app
    from local_sagemaker.config import ServiceSettings

    try:
        settings = ServiceSettings(
            host=args.host,
            port=args.port,
            state_dir=Path(args.state_dir).resolve(),
            region=args.region,
            access_key_id=args.access_key_id,
            secret_access_key=args.secret_access_key,
            s3_endpoint_url=args.s3_endpoint_url,
            logs_endpoint_url=args.logs_endpoint_url or args.s3_endpoint_url,
            worker_start=args.worker_start,
            instance_quotas=dict(quotas.parse_quota(q) for q in args.instance_quota),
        )
        plan = faults.plan_from(args.faults, os.environ)
    except ValidationError as exc:
        print(f"local-sagemaker: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a malformed --instance-quota
        print(f"local-sagemaker: {exc}", file=sys.stderr)
        return 2
    except faults.FaultPlanError as exc:
        print(f"local-sagemaker: {exc}", file=sys.stderr)
        return 2
    if not port_free(settings.host, settings.port):
        print(
            f"local-sagemaker: port {settings.port} on {settings.host} is already in use; "
            "stop whatever holds it or pick another port (--port, or LOCAL_SAGEMAKER_PORT for make local-up)",
            file=sys.stderr,
        )
        return 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not is_loopback(settings.host):
        print(
            f"local-sagemaker: WARNING: listening on {settings.host}, reachable from other machines. Anyone "
            "who holds the key pair can run code here (processing scripts)"
            + (
                f"; the key pair is still the public default 'testing': set {ACCESS_KEY_ENV}/{SECRET_KEY_ENV}"
                if settings.secret_access_key == "testing"
                else ""
            ),
            file=sys.stderr,
        )
    ctx = build_context(settings)
    fault_book = faults.install(settings.state_dir, plan)
    if fault_book is not None:
        print(
            f"local-sagemaker: FAULT INJECTION ON ({len(plan.faults) if plan else 0} rule(s)); counts at "
            f"{settings.endpoint_url}/_faults",
            file=sys.stderr,
        )
    app = create_app(ctx, faults=fault_book)
    # Pollers keep connections open; don't let them hold up a shutdown.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="local-sagemaker", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="run the SageMaker-compatible service in the foreground")
    run.add_argument(
        "--host", default=DEFAULT_HOST, help="address to bind (default 127.0.0.1: this machine only)"
    )
    run.add_argument("--port", type=int, default=7070)
    run.add_argument("--state-dir", default=".local/sagemaker", help="where jobs, state and sandboxes live")
    run.add_argument("--region", default="us-east-1")
    run.add_argument(
        "--access-key-id",
        default=os.environ.get(ACCESS_KEY_ENV, "testing"),
        help=f"the only access key accepted (default: ${ACCESS_KEY_ENV}, else 'testing')",
    )
    run.add_argument(
        "--secret-access-key",
        default=os.environ.get(SECRET_KEY_ENV, "testing"),
        help=f"its secret, to verify SigV4 signatures (default: ${SECRET_KEY_ENV}, else 'testing')",
    )
    run.add_argument("--s3-endpoint-url", required=True, help="S3 the jobs read and write (moto or MinIO)")
    run.add_argument(
        "--logs-endpoint-url", help="CloudWatch Logs endpoint (default: the S3 endpoint, as moto serves both)"
    )
    run.add_argument(
        "--worker-start",
        choices=WORKER_START_CHOICES,
        default=os.environ.get(WORKER_START_ENV, "forkserver"),
        help="how job workers start: forked from a server that has imported xgboost & co. (default), or "
        f"a fresh interpreter per job (spawn) (default: ${WORKER_START_ENV}, else forkserver)",
    )
    run.add_argument(
        "--faults",
        help="JSON fault plan for resilience tests (default: $LOCAL_SAGEMAKER_FAULTS; off when neither is set)",
    )
    run.add_argument(
        "--instance-quota",
        action="append",
        default=os.environ.get(QUOTAS_ENV, "").split(),
        metavar="KIND:INSTANCE_TYPE=COUNT",
        help="an account quota of concurrent instances, e.g. training-job:ml.m5.xlarge=2 (repeatable; "
        f"default: ${QUOTAS_ENV}, space-separated); over it, creates answer ResourceLimitExceeded",
    )
    run.set_defaults(func=serve)
    check = sub.add_parser(
        "doctor", help="check that every completed job's outputs and every model version's data still exist"
    )
    check.set_defaults(func=doctor)
    return parser


def doctor(args: argparse.Namespace) -> int:
    """Against the stack the environment points at (`source .local/env`), else the default local ports."""
    import boto3

    from local_sagemaker import doctor as checks

    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    sagemaker = boto3.client(
        "sagemaker",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SAGEMAKER", "http://127.0.0.1:7070"),
        region_name=region,
    )
    s3 = boto3.client(
        "s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5055"), region_name=region
    )
    return checks.report(sagemaker, s3)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
