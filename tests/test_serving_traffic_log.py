"""Per-request traffic records and the per-variant statistics built from them."""

import pytest

from sentiment_assets.serving.__main__ import main as serving_cli
from sentiment_assets.serving.routing import challenger_table, write_table
from sentiment_assets.serving.traffic_log import TrafficLog, TrafficRecord, format_stats, percentile, summarize


def record(variant, latency_ms, texts=2, agreed=None, version="1"):
    shadow = None if agreed is None else ("challenger" if variant == "champion" else "champion")
    return TrafficRecord(at=0.0, variant=variant, model_version=version, texts=texts, latency_ms=latency_ms,
                         shadow_variant=shadow, shadow_agreed=agreed)


def test_stats_count_requests_texts_latency_and_agreement_per_variant():
    records = [record("champion", ms, texts=2, agreed=2) for ms in range(1, 101)]
    records += [record("challenger", 10.0, texts=4, agreed=1, version="2"), record("challenger", 30.0, texts=4, agreed=3, version="2")]
    stats = summarize(records, {"champion": 0.8, "challenger": 0.2})
    champion, challenger = stats["variants"]["champion"], stats["variants"]["challenger"]
    assert (champion["requests"], champion["texts"], champion["agreement_rate"]) == (100, 200, 1.0)
    assert champion["latency_p50_ms"] == pytest.approx(50.5)
    assert champion["latency_p95_ms"] == pytest.approx(95.05)
    assert (challenger["requests"], challenger["texts"], challenger["agreement_rate"]) == (2, 8, 0.5)
    assert challenger["model_versions"] == ["2"] and challenger["weight"] == 0.2
    assert stats["requests"] == 102
    assert stats["agreement_rate"] == pytest.approx((200 + 4) / (200 + 8))


def test_requests_without_a_shadow_leave_agreement_unknown_not_zero():
    stats = summarize([record("champion", 5.0), record("champion", 7.0, agreed=2)], {"champion": 1.0})
    assert stats["variants"]["champion"]["shadowed_texts"] == 2
    assert stats["variants"]["champion"]["agreement_rate"] == 1.0
    assert summarize([record("champion", 5.0)], {"champion": 1.0})["agreement_rate"] is None


def test_a_weighted_variant_without_traffic_is_listed_with_zero_counts():
    stats = summarize([], {"champion": 0.5, "challenger": 0.5})
    assert stats["variants"]["challenger"]["requests"] == 0
    assert stats["variants"]["challenger"]["latency_p95_ms"] is None
    assert percentile([], 50) is None


def test_the_log_round_trips_records_and_skips_a_half_written_line(tmp_path):
    log = TrafficLog(tmp_path / "serving" / "traffic.jsonl")
    assert log.read() == []
    log.append(record("champion", 3.5, agreed=2))
    log.append(record("challenger", 4.5, version="2"))
    with log.path.open("a") as raw:
        raw.write('{"at": 1.0, "variant": "cham')  # the server is mid-append
    assert log.read() == [record("champion", 3.5, agreed=2), record("challenger", 4.5, version="2")]


def test_the_stats_command_prints_a_table_of_the_log_and_the_weights(tmp_path, capsys):
    log = TrafficLog(tmp_path / "traffic.jsonl")
    for ms in (2.0, 4.0):
        log.append(record("champion", ms, agreed=1))
    write_table(tmp_path / "routing.json", challenger_table(0.2))
    assert serving_cli(["stats", "--routing", str(tmp_path / "routing.json"), "--traffic-log", str(log.path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["variant", "weight", "requests", "texts", "p50_ms", "p95_ms", "agreement", "versions"]
    assert lines[1].split() == ["champion", "0.80", "2", "4", "3.0", "3.9", "0.500", "1"]
    assert lines[2].split()[:4] == ["challenger", "0.20", "0", "0"]
    assert format_stats(summarize([], {})).splitlines()[-1].split() == ["all", "0", "0", "-"]
