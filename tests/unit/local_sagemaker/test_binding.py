"""`serve` listens on this machine only unless told otherwise, and never takes secrets it must not show."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from local_sagemaker.__main__ import SECRET_KEY_ENV, build_parser, is_loopback
from tests.conftest import free_port

PROC_TCP = Path("/proc/net/tcp")
LISTEN = "0A"


def listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses with a socket listening on `port`, from the kernel's own table."""
    addresses = set()
    for line in PROC_TCP.read_text().splitlines()[1:]:
        fields = line.split()
        address, port_hex = fields[1].split(":")
        if int(port_hex, 16) == port and fields[3] == LISTEN:
            octets = bytes.fromhex(address)[::-1]  # little-endian on the architectures we run on
            addresses.add(".".join(str(b) for b in octets))
    return addresses


def test_the_default_host_is_loopback() -> None:
    args = build_parser().parse_args(["serve", "--s3-endpoint-url", "http://127.0.0.1:1"])
    assert args.host == "127.0.0.1"
    assert is_loopback(args.host) and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")


def test_the_secret_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_KEY_ENV, "from-env")
    args = build_parser().parse_args(["serve", "--s3-endpoint-url", "http://127.0.0.1:1"])
    assert args.secret_access_key == "from-env"


@pytest.mark.skipif(not PROC_TCP.exists(), reason="needs Linux's /proc/net/tcp")
def test_serve_without_host_listens_on_127_0_0_1_only(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local_sagemaker",
            "serve",
            "--port",
            str(port),
            "--state-dir",
            str(tmp_path / "state"),
            "--s3-endpoint-url",
            "http://127.0.0.1:1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except (urllib.error.URLError, OSError):
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the service did not come up"
                time.sleep(0.2)
        assert listening_addresses(port) == {"127.0.0.1"}
        assert (tmp_path / "state" / "service.json").stat().st_mode & 0o077 == 0  # secret: owner only
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


@pytest.mark.skipif(not PROC_TCP.exists(), reason="needs Linux's /proc/net/tcp")
def test_the_local_stack_listens_on_loopback_and_keeps_the_secret_off_the_command_line(
    local_stack: Any,
) -> None:
    assert listening_addresses(local_stack.sagemaker_port) == {"127.0.0.1"}
    assert listening_addresses(local_stack.s3_port) == {"127.0.0.1"}
    pid = int(local_stack.pid_file("sagemaker").read_text())
    command_line = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert local_stack.secret_access_key.encode() not in command_line
