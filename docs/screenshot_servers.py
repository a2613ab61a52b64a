"""The servers docs/take_screenshots.py drives: a command in its own process group on a free
loopback port, waited for until it answers, stopped with its whole group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A command in its own process group, logging to a file, ready once `ready_path` answers 200."""

    def __init__(
        self, name: str, command: list[str], ready_path: str, port: int, env: dict[str, str], cwd: Path, log_dir: Path
    ):
        self.name, self.url, self.ready_path = name, f"http://127.0.0.1:{port}", ready_path
        self.log_path = log_dir / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_until_serving(self, timeout_s: float = 180.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}, see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"{self.name} did not answer within {timeout_s:.0f}s, see {self.log_path}")

    def stop(self) -> None:
        """SIGTERM to the whole group (the Dagster code server, MLflow's workers too), then SIGKILL."""
        for sig, grace_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                continue
