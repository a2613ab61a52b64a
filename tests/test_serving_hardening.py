"""The endpoint against abuse and accidents: a champion without a challenger, generic 500s,
blank texts, slow clients, traffic logs that grow, and defaults that do not double the work.

The fast tests run the Starlette app in-process over fake models; the slow-client tests need a
real uvicorn server, so one `serve` process runs over a real MLflow registry with a champion only.
"""

import json
import logging
import random
import socket
import time

import mlflow
import pandas as pd
import pytest
from labelled_reviews import labelled_reviews
from mlflow import MlflowClient
from mlflow_store import reset_mlflow_uris, temporary_mlflow
from starlette.testclient import TestClient
from test_serving_endpoint import JSONL, MODEL_NAME, Server

from sentiment_assets.models.mlflow_model import log_sentiment_model
from sentiment_assets.models.tfidf import TfidfConfig, TfidfLogisticRegression
from sentiment_assets.serving.app import create_app
from sentiment_assets.serving.routing import CHALLENGER, CHAMPION, RoutingFile
from sentiment_assets.serving.settings import ServingLimits
from sentiment_assets.serving.traffic_log import TrafficLog
from sentiment_assets.serving.variants import NoChampionError, Variant, load_variants


class CountingModel:
    """Answers every text with label 1 and counts the texts it was asked to score."""

    def __init__(self, fails_with: Exception | None = None):
        self.scored, self.fails_with = 0, fails_with

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.fails_with is not None:
            raise self.fails_with
        self.scored += len(frame)
        return pd.DataFrame({"predicted_label": [1] * len(frame), "probability": [0.9] * len(frame)})


def in_process_app(tmp_path, limits=ServingLimits(), traffic=None, **models):
    variants = {
        name: Variant(name, str(n), f"models:/m/{n}", model) for n, (name, model) in enumerate(models.items(), start=1)
    }
    routing = RoutingFile(tmp_path / "routing.json", variants)  # no file: the default table
    return TestClient(
        create_app(
            variants, routing, traffic or TrafficLog(tmp_path / "traffic.jsonl"), limits, "m", rng=random.Random(0)
        )
    )


def test_by_default_every_request_goes_to_the_champion_and_nothing_is_shadowed(tmp_path):
    champion, challenger = CountingModel(), CountingModel()
    client = in_process_app(tmp_path, champion=champion, challenger=challenger)
    answered = {client.post("/invocations", json={"features": ["fine"]}).headers["x-model-variant"] for _ in range(200)}
    assert answered == {CHAMPION}
    assert (champion.scored, challenger.scored) == (200, 0)  # the challenger loaded, but costs nothing
    assert client.get("/health").json()["routing"]["weights"] == {CHAMPION: 1.0, CHALLENGER: 0.0}


def test_an_exception_while_scoring_is_a_generic_500_with_a_request_id_and_the_detail_only_in_the_log(tmp_path, caplog):
    secret = RuntimeError("cannot open /srv/models/secret-path/model.pkl")
    client = in_process_app(tmp_path, champion=CountingModel(fails_with=secret))
    with caplog.at_level(logging.ERROR, logger="sentiment_assets.serving.server_errors"):
        response = client.post("/invocations", json={"features": ["fine"]})
    assert response.status_code == 500
    body = response.json()
    assert body == {"error": "internal error", "request_id": body["request_id"]} and len(body["request_id"]) == 32
    assert response.headers["x-request-id"] == body["request_id"]
    assert "secret" not in response.text and "RuntimeError" not in response.text
    logged = [r for r in caplog.records if body["request_id"] in r.getMessage()]
    assert logged and "secret-path" in str(logged[0].exc_info[1])
    assert client.get("/ping").status_code == 200  # and the server carries on


def test_blank_texts_are_422_naming_their_index_and_nothing_is_scored(tmp_path):
    champion = CountingModel()
    client = in_process_app(tmp_path, champion=champion)
    for blank in ("", "   ", "\u200b\u200d\ufeff"):
        response = client.post("/invocations", content=json.dumps({"features": ["Fine.", blank]}), headers=JSONL)
        assert response.status_code == 422
        assert response.json()["text_index"] == 1 and "features[1]" in response.json()["error"]
    assert champion.scored == 0


def test_stats_report_every_request_across_rotations_of_the_traffic_log(tmp_path):
    traffic = TrafficLog(tmp_path / "traffic.jsonl", max_bytes=1500, backups=1)
    client = in_process_app(tmp_path, traffic=traffic, champion=CountingModel())
    for _ in range(60):
        assert client.post("/invocations", json={"features": ["a", "b"]}).status_code == 200
    assert traffic.rotated_path(1).exists() and not traffic.rotated_path(2).exists()
    assert len(traffic.read()) < 60  # the oldest records are gone from disk...
    stats = client.get("/stats").json()  # ...but not from the counts
    assert (stats["requests"], stats["texts"], stats["variants"][CHAMPION]["requests"]) == (60, 120, 60)


def register_champion_only(tmp) -> str:
    """A SQLite registry holding one version, aliased `champion`, and no `challenger` alias."""
    model = TfidfLogisticRegression(TfidfConfig(max_ngram=1, max_features=2000)).fit(labelled_reviews(400, seed=3))
    with temporary_mlflow(tmp, "serving", registry=True) as uri:
        with mlflow.start_run():
            info = log_sentiment_model(model)
        version = mlflow.register_model(info.model_uri, MODEL_NAME)
        MlflowClient(tracking_uri=uri, registry_uri=uri).set_registered_model_alias(
            MODEL_NAME, "champion", version.version
        )
    return uri


@pytest.fixture(scope="module")
def champion_only_registry(tmp_path_factory):
    return register_champion_only(tmp_path_factory.mktemp("champion-only"))


def test_a_registry_with_only_a_champion_alias_loads_the_champion_alone(champion_only_registry):
    try:
        variants = load_variants(champion_only_registry, MODEL_NAME)
        # create_model_version resolves the source's run against the global tracking URI.
        mlflow.set_tracking_uri(champion_only_registry)
        client = MlflowClient(tracking_uri=champion_only_registry, registry_uri=champion_only_registry)
        client.create_registered_model("challenger-only")
        source = client.get_model_version(MODEL_NAME, "1").source
        assert source is not None
        client.create_model_version("challenger-only", source)
        client.set_registered_model_alias("challenger-only", "challenger", "1")
        with pytest.raises(NoChampionError, match="challenger-only has no 'champion' alias"):
            load_variants(champion_only_registry, "challenger-only")
    finally:
        reset_mlflow_uris()
    assert list(variants) == [CHAMPION] and variants[CHAMPION].version == "1"
    assert variants[CHAMPION].predict(["Love it."])[0][0] in (-1, 0, 1)


@pytest.fixture(scope="module")
def slow_client_server(champion_only_registry, tmp_path_factory):
    server = Server(
        tmp_path_factory.mktemp("serving"), champion_only_registry, "--header-timeout", "1", "--body-timeout", "1"
    )
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


def test_serve_with_a_champion_alone_answers_from_it_and_shadows_nothing(slow_client_server):
    response = slow_client_server.client.post("/invocations", json={"features": ["Perfect fit.", "Awful fabric."]})
    assert response.status_code == 200 and response.headers["x-model-variant"] == CHAMPION
    health = slow_client_server.client.get("/health").json()
    assert list(health["variants"]) == [CHAMPION] and health["routing"]["weights"] == {CHAMPION: 1.0}
    assert health["shadow_fraction"] == 0.0


def raw_exchange(server: Server, sent: bytes, wait_s: float = 15) -> tuple[bytes, float]:
    """Send `sent` on a fresh connection, then read until the server closes it: (reply, seconds)."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait_s) as connection:
        started = time.monotonic()
        connection.sendall(sent)
        reply = b""
        while chunk := connection.recv(65536):  # b"" once the server closes; socket.timeout if it never does
            reply += chunk
        return reply, time.monotonic() - started


def test_a_body_that_stops_arriving_is_408_and_the_connection_is_closed(slow_client_server):
    head = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    reply, seconds = raw_exchange(slow_client_server, head + b'{"features": ["ok"]')  # 19 of the 100 bytes
    assert (
        reply.startswith(b"HTTP/1.1 408") and b"did not arrive within 1 s (19 bytes received of 100 announced)" in reply
    )
    assert 0.9 < seconds < 10


def test_headers_that_never_finish_and_a_silent_connection_are_closed_after_the_header_timeout(slow_client_server):
    reply, seconds = raw_exchange(slow_client_server, b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Ty")
    assert reply.startswith(b"HTTP/1.1 408") and 0.9 < seconds < 10
    reply, seconds = raw_exchange(slow_client_server, b"")
    assert reply == b"" and 0.9 < seconds < 10


def test_a_hundred_thousand_levels_of_json_are_400_and_the_connection_keeps_serving(slow_client_server):
    client = slow_client_server.client
    deep = client.post("/invocations", content=b'{"features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", headers=JSONL)
    assert deep.status_code == 400 and "nested deeper than 32 levels" in deep.json()["error"]
    assert client.post("/invocations", json={"features": ["Still here."]}).status_code == 200


def test_an_oversized_body_is_413_before_it_is_read(slow_client_server):
    response = slow_client_server.client.post("/invocations", content=b"x" * (1024 * 1024 + 1), headers=JSONL)
    assert response.status_code == 413 and "the limit is 1048576 bytes" in response.json()["error"]
