"""S3 round trips through boto3: the durable local store against in-memory moto_server, side by side.

Both servers run at once on free ports and every operation alternates between them, so machine noise
hits both alike. Knobs: BENCH_S3_SMALL (objects per small-object row, default 300), BENCH_S3_MB (size of
the large object, default 100), BENCH_S3_REPEATS (3; the median is reported)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig

from bench.report import median, save, table

BUCKET = "bench-s3"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench s3: server for {url} exited at start-up")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"bench s3: {url} did not answer in 60 s")


def _client(port: int) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    small = int(os.environ.get("BENCH_S3_SMALL", "300"))
    megabytes = int(os.environ.get("BENCH_S3_MB", "100"))
    repeats = int(os.environ.get("BENCH_S3_REPEATS", "3"))
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="bench-s3-") as scratch:
        work = Path(scratch)
        ports = {"durable store": _free_port(), "moto (in memory)": _free_port()}
        procs = {
            "durable store": subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "local_sagemaker.aws_server",
                    "--data-dir",
                    str(work / "aws"),
                    "--port",
                    str(ports["durable store"]),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            "moto (in memory)": subprocess.Popen(
                [str(bin_dir / "moto_server"), "-p", str(ports["moto (in memory)"])],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
        }
        try:
            _wait(f"http://127.0.0.1:{ports['durable store']}/_local/health", procs["durable store"])
            _wait(f"http://127.0.0.1:{ports['moto (in memory)']}/moto-api/", procs["moto (in memory)"])
            rows = _measure(
                {name: _client(port) for name, port in ports.items()}, work, small, megabytes, repeats
            )
        finally:
            for proc in procs.values():
                proc.terminate()
                proc.wait(timeout=15)
    save(
        "s3",
        "S3 round trips: durable local store vs in-memory moto",
        [
            (
                f"Seconds, median of {repeats} runs (lower is better), one boto3 client each, sequential calls",
                table(["operation", "durable store s", "moto s", "durable/moto"], rows),
            )
        ],
        [
            "The durable store fsyncs every object and index commit before it answers (what survives a "
            "power cut); moto keeps objects in memory and loses them on any restart.",
            "Both servers run at the same time and the runs alternate, so load on the shared machine hits both.",
        ],
    )


def _measure(
    clients: dict[str, Any], work: Path, small: int, megabytes: int, repeats: int
) -> list[list[str]]:
    big = work / "big.bin"
    with big.open("wb") as out:
        for _ in range(megabytes):
            out.write(os.urandom(1024 * 1024))
    transfer = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024)
    for s3 in clients.values():
        s3.create_bucket(Bucket=BUCKET)
        for i in range(1000):
            s3.put_object(Bucket=BUCKET, Key=f"listing/{i:05d}", Body=b"x")
    payload = os.urandom(4096)
    operations: dict[str, Callable[[Any], object]] = {
        f"PutObject x{small} (4 KB)": lambda s3: [
            s3.put_object(Bucket=BUCKET, Key=f"small/{i}", Body=payload) for i in range(small)
        ],
        f"GetObject x{small} (4 KB)": lambda s3: [
            s3.get_object(Bucket=BUCKET, Key=f"small/{i}")["Body"].read() for i in range(small)
        ],
        f"HeadObject x{small}": lambda s3: [
            s3.head_object(Bucket=BUCKET, Key=f"small/{i}") for i in range(small)
        ],
        "ListObjectsV2, 1000 keys x20": lambda s3: [
            s3.list_objects_v2(Bucket=BUCKET, Prefix="listing/") for _ in range(20)
        ],
        f"upload_file {megabytes} MB (multipart, 8 MB parts)": lambda s3: s3.upload_file(
            str(big), BUCKET, "big.bin", Config=transfer
        ),
        f"download_file {megabytes} MB (ranged GETs)": lambda s3: s3.download_file(
            BUCKET, "big.bin", str(work / "back.bin"), Config=transfer
        ),
        "CopyObject 4 KB x50": lambda s3: [
            s3.copy_object(Bucket=BUCKET, Key=f"copy/{i}", CopySource={"Bucket": BUCKET, "Key": "small/0"})
            for i in range(50)
        ],
    }
    times: dict[str, dict[str, list[float]]] = {op: {name: [] for name in clients} for op in operations}
    for _ in range(repeats):
        for op, action in operations.items():
            for name, s3 in clients.items():
                times[op][name].append(_timed(lambda: action(s3)))  # noqa: B023 - runs at once
    rows = []
    for op, by_server in times.items():
        durable, moto = median(by_server["durable store"]), median(by_server["moto (in memory)"])
        rows.append([op, f"{durable:.2f}", f"{moto:.2f}", f"{durable / moto:.2f}"])
    return rows
