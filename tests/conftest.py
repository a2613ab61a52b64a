"""Test-wide setup: no telemetry, no hub access, and every run's state in a temp directory."""

import pytest

from resources.environment import disable_telemetry

disable_telemetry()


@pytest.fixture(scope="module")
def s3_endpoint():
    """An S3-compatible server (moto) on loopback, for the real boto3 client code."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
