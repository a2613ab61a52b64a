"""Where the endpoint keeps its files, its request limits, and that its pure logic needs no web stack."""

import subprocess
import sys
from pathlib import Path

import pytest

from sentiment_assets.serving.settings import ServingLimits, default_routing_path, default_traffic_log_path


def test_routing_table_and_traffic_log_live_under_the_serving_directory_of_sentiment_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SENTIMENT_HOME", str(tmp_path))
    monkeypatch.delenv("SENTIMENT_ROUTING_TABLE", raising=False)
    monkeypatch.delenv("SENTIMENT_TRAFFIC_LOG", raising=False)
    assert default_routing_path() == tmp_path / "serving" / "routing.json"
    assert default_traffic_log_path() == tmp_path / "serving" / "traffic.jsonl"


def test_environment_variables_override_the_default_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("SENTIMENT_ROUTING_TABLE", str(tmp_path / "ab.json"))
    monkeypatch.setenv("SENTIMENT_TRAFFIC_LOG", str(tmp_path / "requests.jsonl"))
    assert (default_routing_path(), default_traffic_log_path()) == (tmp_path / "ab.json", tmp_path / "requests.jsonl")


def test_limits_default_to_one_mebibyte_a_thousand_texts_ten_second_timeouts_and_no_shadowing_and_refuse_nonsense():
    assert ServingLimits() == ServingLimits(
        max_body_bytes=1_048_576, max_texts=1000, shadow_fraction=0.0, header_timeout_s=10.0, body_timeout_s=10.0
    )
    with pytest.raises(ValueError, match="max_body_bytes"):
        ServingLimits(max_body_bytes=0)
    with pytest.raises(ValueError, match="max_texts"):
        ServingLimits(max_texts=0)
    with pytest.raises(ValueError, match="shadow_fraction"):
        ServingLimits(shadow_fraction=1.5)
    with pytest.raises(ValueError, match="body_timeout_s"):
        ServingLimits(body_timeout_s=0)


def test_parsing_routing_and_stats_import_without_the_web_server_or_mlflow():
    probe = (
        "import sys; import sentiment_assets.serving.jsonlines, sentiment_assets.serving.routing, "
        "sentiment_assets.serving.traffic_log; "
        "print(sorted(m for m in ('starlette', 'uvicorn', 'mlflow', 'fastapi') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"
