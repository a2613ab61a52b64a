"""The Dagster UI for browser tests: a real `dagster-webserver` on a free loopback port, and the
headless Chromium that Debian packages (Playwright drives it; `playwright install` is never run)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_INSTALL = "apt-get install -y --no-install-recommends chromium"


def chromium_binary() -> str | None:
    """Debian's Chromium (or the one CHROMIUM_PATH names), None when this machine has none."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Webserver:
    """`dagster-webserver -w workspace.yaml` in its own process group, logging to `log_path`."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        command = [
            str(Path(sys.executable).parent / "dagster-webserver"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-w",
            "workspace.yaml",
        ]
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_until_serving(self, timeout_s: float = 120.0) -> None:
        """Until /server_info answers; the code location may still be loading after that."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dagster-webserver exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/server_info", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"dagster-webserver did not answer within {timeout_s:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM to the whole group (webserver and its code server), SIGKILL if it lingers."""
        for sig, grace_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:  # the whole group is gone
                return
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                continue
            # The webserver has exited; a code server that outlived it still gets the SIGKILL.

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""
