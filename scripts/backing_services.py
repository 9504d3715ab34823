"""Postgres and Redis from the Debian packages, on free 127.0.0.1 ports in a directory of their own.

The Celery cluster test (and a benchmark) runs Airflow's metadata database and Celery broker the way
compose does, without Docker. Postgres refuses to run as root: as root, its processes run as an
unprivileged user of this machine (`postgres` from the Debian package, else `nobody`).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"
UNPRIVILEGED_USERS = ("postgres", "nobody")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin() -> Path | None:
    """The newest installed Postgres server's bin directory (Debian keeps it off PATH)."""
    found = sorted(glob.glob(POSTGRES_BIN_GLOB), key=lambda p: int(Path(p).parent.name or 0))
    for candidate in reversed(found):
        if (Path(candidate) / "initdb").is_file():
            return Path(candidate)
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def missing_packages() -> list[str]:
    """What is not installed of what the cluster needs, as Debian package names."""
    missing = []
    if postgres_bin() is None:
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


def run_as_user() -> pwd.struct_passwd | None:
    """None when this process may run Postgres itself; else the unprivileged user to run it as."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(f"running as root and none of the users {UNPRIVILEGED_USERS} exists to run Postgres")


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}; see {log}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s; see {log}")


def stop_process(
    process: subprocess.Popen[bytes] | None, grace: float = 20, first: signal.Signals = signal.SIGTERM
) -> None:
    """Signal the process group (it was started in a session of its own), KILL it if it lingers."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, first)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Postgres:
    root: Path
    port: int = field(default_factory=free_port)
    user: str = "airflow"
    password: str = "airflow"
    database: str = "airflow"
    process: subprocess.Popen[bytes] | None = None
    data_root: Path | None = None

    @property
    def url(self) -> str:
        """SQLAlchemy URL, the driver compose uses."""
        return f"postgresql+psycopg2://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    def start(self) -> None:
        binaries = postgres_bin()
        if binaries is None:
            raise RuntimeError("Postgres is not installed: make system-packages (Debian package postgresql)")
        account = run_as_user()
        self.root.mkdir(parents=True, exist_ok=True)
        # The unprivileged user must reach its files, and the caller's directory may be root-only
        # (mkdtemp makes it 0700): then the data lives in a directory of its own in the system temp dir.
        self.data_root = self.root if account is None else Path(tempfile.mkdtemp(prefix="airflow-postgres-"))
        if account is not None:
            os.chown(self.data_root, account.pw_uid, account.pw_gid)
        data = self.data_root / "pgdata"
        password_file = self.data_root / "pwfile"
        password_file.write_text(self.password + "\n")
        if account is not None:
            os.chown(password_file, account.pw_uid, account.pw_gid)
        uid, gid = (account.pw_uid, account.pw_gid) if account else (None, None)
        with self.log_file.open("ab") as log:
            subprocess.run(
                [
                    str(binaries / "initdb"),
                    "--pgdata",
                    str(data),
                    "--username",
                    self.user,
                    f"--pwfile={password_file}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--no-sync",
                ],
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_root,
                user=uid,
                group=gid,
            )
        password_file.unlink()
        self.process = subprocess.Popen(
            [
                str(binaries / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=",
                # A throwaway database: durability costs time and buys nothing here.
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=300",
            ],
            stdout=self.log_file.open("ab"),
            stderr=subprocess.STDOUT,
            cwd=self.data_root,
            start_new_session=True,
            user=uid,
            group=gid,
        )
        wait_for_port(self.port, self.process, self.log_file)
        self._create_database()

    def _create_database(self) -> None:
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                connection = psycopg2.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user=self.user,
                    password=self.password,
                    dbname="postgres",
                )
                break
            except psycopg2.OperationalError:  # listening, but still starting up
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{self.database}"')
        connection.close()

    def stop(self) -> None:
        # SIGINT is Postgres's fast shutdown: it ends open sessions instead of waiting for them.
        stop_process(self.process, first=signal.SIGINT)
        if self.data_root is not None and self.data_root != self.root:
            shutil.rmtree(self.data_root, ignore_errors=True)


@dataclass
class Redis:
    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://:@127.0.0.1:{self.port}/0"

    @property
    def log_file(self) -> Path:
        return self.root / "redis.log"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("Redis is not installed: make system-packages (Debian package redis-server)")
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                server,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.root),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=self.log_file.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, self.process, self.log_file)

    def stop(self) -> None:
        stop_process(self.process)
