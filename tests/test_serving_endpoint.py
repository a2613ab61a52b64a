"""The endpoint as a real server process against a real MLflow registry with two TF-IDF models.

One server (and one registry) per module, since loading models dominates the time; tests that
depend on routing set the table first, and the SIGTERM test, which stops the server, is last.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import mlflow
import pandas as pd
import pytest
from labelled_reviews import labelled_reviews
from mlflow import MlflowClient
from mlflow_store import reset_mlflow_uris, temporary_mlflow

from sentiment_assets.models.mlflow_model import log_sentiment_model, predictions_frame
from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression, TfidfPipelineClassifier
from sentiment_assets.serving.commands import main as serving_cli
from sentiment_assets.serving.routing import challenger_table, write_table
from sentiment_assets.serving.traffic_log import TrafficLog, summarize

MODEL_NAME = "review-sentiment"
JSONL = {"content-type": "application/jsonlines"}
REPO = Path(__file__).resolve().parents[1]


def register_two_versions(tmp: Path) -> tuple[str, dict[str, TfidfPipelineClassifier]]:
    """A SQLite registry where v1 is the `champion` and v2 (differently regularised) the `challenger`."""
    models = {
        # Unigrams and capped vocabularies: seconds less to fit, and serving does not care about accuracy.
        "champion": TfidfLogisticRegression(TfidfConfig(C=1.0, max_ngram=1, max_features=5000)).fit(
            labelled_reviews(800, seed=1)
        ),
        "challenger": TfidfLogisticRegression(TfidfConfig(C=0.05, max_ngram=1, min_df=1, max_features=2000)).fit(
            labelled_reviews(400, seed=2)
        ),
    }
    with temporary_mlflow(tmp, "serving", registry=True) as uri:
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        for alias, model in models.items():
            with mlflow.start_run():
                info = log_sentiment_model(model)
            version = mlflow.register_model(info.model_uri, MODEL_NAME)
            client.set_registered_model_alias(MODEL_NAME, alias, version.version)
    return uri, models


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serving_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "sentiment-assets"), "serving", *args]


class Server:
    """`sentiment-assets serving serve [options]` in a subprocess, its output in a file."""

    def __init__(self, tmp: Path, tracking_uri: str, *options: str):
        self.routing, self.traffic_log, self.output = tmp / "routing.json", tmp / "traffic.jsonl", tmp / "server.log"
        self.url = f"http://127.0.0.1:{free_port()}"
        # conftest turned telemetry off in os.environ; the child inherits it.
        self.env = {**os.environ, "SENTIMENT_HOME": str(tmp / "home")}
        with self.output.open("w") as output:
            self.process = subprocess.Popen(
                serving_command(
                    "serve",
                    "--port",
                    self.url.rsplit(":", 1)[1],
                    "--tracking-uri",
                    tracking_uri,
                    "--model-name",
                    MODEL_NAME,
                    "--routing",
                    str(self.routing),
                    "--traffic-log",
                    str(self.traffic_log),
                    "--log-level",
                    "warning",
                    *options,
                ),
                cwd=REPO,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def wait_until_ready(self, timeout_s: float = 45) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.output.read_text()}")
            try:
                if self.client.get("/ping").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"no /ping within {timeout_s}s:\n{self.output.read_text()}")

    def stop(self) -> int:
        """SIGTERM, as a process manager would send; the exit code (0 for a clean stop)."""
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()  # never leave a server behind a failed test
            raise


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    return register_two_versions(tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="module")
def server(registry, tmp_path_factory):
    # Shadowing is off by default (it doubles the model work); these tests measure agreement.
    server = Server(tmp_path_factory.mktemp("serving"), registry[0], "--shadow-fraction", "1")
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


def shift_traffic(server: Server, share: float) -> None:
    """The CLI, as a person would run it next to the live server."""
    subprocess.run(
        serving_command("shift-traffic", "--challenger", str(share), "--routing", str(server.routing)),
        cwd=REPO,
        env=server.env,
        check=True,
        capture_output=True,
    )


def invoke(server: Server, lines: list[list[str]]) -> httpx.Response:
    body = "\n".join(json.dumps({"features": texts}) for texts in lines) + "\n"
    return server.client.post("/invocations", content=body, headers=JSONL)


TEXTS = [
    ["I love this dress, the fabric is soft and the fit is perfect."],
    [
        "Runs small and the zipper broke after one wash.",
        "It's okay, nothing special.",
        "Gorgeous color, I get compliments.",
    ],
    ["Returned it: see-through and cheap.", "Fits true to size."],
]


def test_a_json_lines_request_gets_one_line_per_text_in_input_order_from_the_named_variant(server, registry):
    response = invoke(server, TEXTS)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/jsonlines")
    variant = response.headers["x-model-variant"]
    assert (variant, response.headers["x-model-version"]) in {("champion", "1"), ("challenger", "2")}
    answers = [json.loads(line) for line in response.text.splitlines()]
    flat = [text for line in TEXTS for text in line]
    assert len(answers) == len(flat) == 6
    expected = predictions_frame(registry[1][variant].predict_proba(pd.DataFrame({"review_body": flat})))
    assert [a["predicted_label"] for a in answers] == expected["predicted_label"].tolist()
    assert [a["probability"] for a in answers] == pytest.approx(expected["probability"].tolist())
    assert all(a["predicted_label"] in (-1, 0, 1) and 1 / 3 <= a["probability"] <= 1 for a in answers)


def test_a_single_json_object_is_answered_like_one_line(server):
    response = server.client.post("/invocations", json={"features": ["Perfect fit.", "Awful fabric."]})
    assert response.status_code == 200, response.text
    assert len(response.text.splitlines()) == 2


def test_a_body_over_one_mebibyte_is_413_whether_declared_or_streamed(server):
    oversized = b'{"features": ["' + b"x" * (1024 * 1024) + b'"]}'
    declared = server.client.post("/invocations", content=oversized, headers=JSONL)
    assert (declared.status_code, declared.json()["error"]) == (
        413,
        f"body is {len(oversized)} bytes; the limit is 1048576 bytes",
    )
    # A chunked upload has no Content-Length: the limit is enforced while reading.
    streamed = server.client.post(
        "/invocations", content=iter([oversized[:600_000], oversized[600_000:]]), headers=JSONL
    )
    assert (streamed.status_code, streamed.json()["error"]) == (413, "body exceeds the limit of 1048576 bytes")


def test_more_than_a_thousand_texts_is_413(server):
    response = invoke(server, [["fine"] * 600, ["fine"] * 401])
    assert response.status_code == 413
    assert "the limit is 1000" in response.json()["error"]


def test_bad_requests_get_json_errors_with_the_reason(server):
    unsupported = server.client.post("/invocations", content=b"text,label", headers={"content-type": "text/csv"})
    assert unsupported.status_code == 415 and "application/jsonlines" in unsupported.json()["error"]
    broken = server.client.post("/invocations", content=b'{"features": ["ok"]}\n{"features": [', headers=JSONL)
    assert broken.status_code == 400 and broken.json()["error"].startswith("line 2: invalid JSON")
    no_features = server.client.post("/invocations", content=b'{"text": "hi"}', headers=JSONL)
    assert no_features.status_code == 422 and no_features.json()["error"].startswith("line 1: missing 'features'")
    empty = server.client.post("/invocations", content=b"", headers=JSONL)
    assert empty.status_code == 400 and empty.json()["error"].startswith("empty body")
    assert server.client.get("/invocations").status_code == 405


def test_health_lists_both_variants_their_versions_and_the_weights(server):
    health = server.client.get("/health").json()
    assert health["model_name"] == MODEL_NAME
    assert {name: v["version"] for name, v in health["variants"].items()} == {"champion": "1", "challenger": "2"}
    assert set(health["routing"]["weights"]) == {"champion", "challenger"}
    assert health["uptime_s"] > 0


def test_shift_traffic_moves_requests_to_the_challenger_without_a_restart_and_stats_count_them(server, capsys):
    started = time.time()
    write_table(server.routing, challenger_table(0.0))
    assert {invoke(server, TEXTS).headers["x-model-variant"] for _ in range(5)} == {"champion"}
    shift_traffic(server, 1.0)
    assert {invoke(server, TEXTS).headers["x-model-variant"] for _ in range(5)} == {"challenger"}
    assert server.client.get("/health").json()["routing"]["weights"] == {"champion": 0.0, "challenger": 1.0}

    # Records are appended after each response is sent; wait for this test's ten to land.
    deadline = time.monotonic() + 10
    while (
        len(ours := [r for r in TrafficLog(server.traffic_log).read() if r.at >= started]) < 10
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    ours_by_variant = summarize(ours, {})["variants"]
    for variant in ("champion", "challenger"):
        assert (ours_by_variant[variant]["requests"], ours_by_variant[variant]["texts"]) == (5, 30)
        assert ours_by_variant[variant]["shadowed_texts"] == 30  # every request shadowed (--shadow-fraction 1)

    stats = server.client.get("/stats").json()
    for variant in ("champion", "challenger"):
        counts = stats["variants"][variant]
        assert counts["requests"] >= 5 and counts["texts"] >= 30  # earlier tests' requests count too
        assert counts["latency_p50_ms"] > 0 and counts["latency_p95_ms"] >= counts["latency_p50_ms"]
        assert counts["shadowed_texts"] == counts["texts"]
        assert 0.0 <= counts["agreement_rate"] <= 1.0
    assert stats["weights"] == {"champion": 0.0, "challenger": 1.0}
    assert (
        serving_cli(["stats", "--json", "--routing", str(server.routing), "--traffic-log", str(server.traffic_log)])
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["weights"] == stats["weights"] and printed["variants"]["challenger"]["requests"] >= 5


def test_serve_refuses_to_start_without_a_champion_and_says_why(registry, tmp_path, capsys):
    try:
        code = serving_cli(
            [
                "serve",
                "--tracking-uri",
                registry[0],
                "--model-name",
                "no-such-model",
                "--routing",
                str(tmp_path / "routing.json"),
                "--traffic-log",
                str(tmp_path / "traffic.jsonl"),
            ]
        )
    finally:
        reset_mlflow_uris()
    assert code == 1
    assert "no-such-model has no 'champion' alias" in capsys.readouterr().err
    assert not (tmp_path / "routing.json").exists()


def test_the_server_stops_cleanly_on_sigterm(server):
    assert server.stop() == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/ping", timeout=2)
