"""Per-request traffic records and the per-variant statistics built from them."""

import json
import tracemalloc

import pytest

from sentiment_assets.serving import traffic_stats
from sentiment_assets.serving.commands import main as serving_cli
from sentiment_assets.serving.routing import challenger_table, write_table
from sentiment_assets.serving.traffic_log import TrafficLog, TrafficRecord, format_stats, percentile, summarize


def record(variant, latency_ms, texts=2, agreed=None, version="1"):
    shadow = None if agreed is None else ("challenger" if variant == "champion" else "champion")
    return TrafficRecord(
        at=0.0,
        variant=variant,
        model_version=version,
        texts=texts,
        latency_ms=latency_ms,
        shadow_variant=shadow,
        shadow_agreed=agreed,
    )


def test_stats_count_requests_texts_latency_and_agreement_per_variant():
    records = [record("champion", ms, texts=2, agreed=2) for ms in range(1, 101)]
    records += [
        record("challenger", 10.0, texts=4, agreed=1, version="2"),
        record("challenger", 30.0, texts=4, agreed=3, version="2"),
    ]
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


def numbered(i: int) -> TrafficRecord:
    """Request i: a quarter to the challenger, every other one shadowed."""
    variant = "challenger" if i % 4 == 0 else "champion"
    return TrafficRecord(
        at=float(i),
        variant=variant,
        model_version="2" if variant == "challenger" else "1",
        texts=1 + i % 3,
        latency_ms=float(i % 50),
        shadow_variant="x" if i % 2 else None,
        shadow_agreed=(i % 3 > 0) if i % 2 else None,
    )


def counts(summary: dict) -> dict:
    return {
        name: (v["requests"], v["texts"], v["shadowed_texts"], v["agreed_texts"], v["model_versions"])
        for name, v in summary["variants"].items()
    }


def test_the_log_is_rotated_at_the_size_cap_and_only_the_newest_files_are_kept(tmp_path):
    log = TrafficLog(tmp_path / "traffic.jsonl", max_bytes=2000, backups=2)
    for i in range(300):
        log.append(numbered(i))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "traffic.jsonl",
        "traffic.jsonl.1",
        "traffic.jsonl.2",
        "traffic.jsonl.totals.json",
    ]
    assert all(path.stat().st_size <= 2000 for path in (log.path, log.rotated_path(1), log.rotated_path(2)))
    kept = [record.at for record in log.read()]
    assert kept == [float(i) for i in range(300 - len(kept), 300)]  # the newest, in order, no gap
    assert len(kept) < 300


def test_stats_count_every_request_across_rotations_including_the_deleted_files(tmp_path):
    log = TrafficLog(tmp_path / "traffic.jsonl", max_bytes=2000, backups=1)
    for i in range(500):
        log.append(numbered(i))
    everything = summarize([numbered(i) for i in range(500)], {"champion": 0.75, "challenger": 0.25})
    assert everything["requests"] == 500 and everything["agreement_rate"] is not None
    live = log.summary({"champion": 0.75, "challenger": 0.25})  # the server's running totals
    fresh = TrafficLog(log.path).summary(
        {"champion": 0.75, "challenger": 0.25}
    )  # the stats command's checkpoint + file
    for summary in (live, fresh):
        assert counts(summary) == counts(everything)
        assert (summary["requests"], summary["texts"], summary["agreement_rate"]) == (
            500,
            everything["texts"],
            everything["agreement_rate"],
        )
        assert summary["variants"]["champion"]["latency_p95_ms"] == everything["variants"]["champion"]["latency_p95_ms"]


def test_a_rotation_interrupted_before_its_checkpoint_was_written_still_counts_everything(tmp_path):
    log = TrafficLog(tmp_path / "traffic.jsonl", max_bytes=2000, backups=3)
    i = 0
    while not log.checkpoint_path.exists():
        log.append(numbered(i))
        i += 1
    stale = log.checkpoint_path.read_text()
    rotations = log.rotated_path(2)
    while not rotations.exists():  # one more rotation...
        log.append(numbered(i))
        i += 1
    log.checkpoint_path.write_text(stale)  # ...whose checkpoint never landed: it still names what is now .1
    assert TrafficLog(log.path).summary({})["requests"] == i


def test_a_log_from_before_rotation_is_counted_and_then_rotated(tmp_path):
    unrotated = TrafficLog(tmp_path / "traffic.jsonl", max_bytes=10**9)
    for i in range(100):
        unrotated.append(numbered(i))
    capped = TrafficLog(unrotated.path, max_bytes=2000, backups=1)
    capped.append(numbered(100))
    assert unrotated.path.stat().st_size < 2000 and json.loads(capped.checkpoint_path.read_text())["totals"]
    assert TrafficLog(unrotated.path).summary({})["requests"] == capped.summary({})["requests"] == 101


def summary_peak_bytes(path) -> int:
    tracemalloc.start()
    try:
        assert TrafficLog(path).summary({})["requests"] > 0
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_memory_of_a_stats_report_does_not_grow_with_the_log(tmp_path, monkeypatch):
    # A short latency window, so that what is left to measure is how much of the log is read.
    monkeypatch.setattr(traffic_stats, "LATENCY_WINDOW", 50)
    paths, logged = [], []
    for n in (2_000, 12_000):
        log = TrafficLog(tmp_path / str(n) / "traffic.jsonl", max_bytes=20_000, backups=1)
        for i in range(n):
            log.append(numbered(i))
        paths.append(log.path)
        logged.append(sum(len(json.dumps(numbered(i).__dict__)) + 1 for i in range(n)))
    summary_peak_bytes(paths[0])  # once unmeasured: first calls allocate caches that stay
    peaks = [summary_peak_bytes(path) for path in paths]
    assert logged[1] > 5 * logged[0]
    assert peaks[1] < 1.5 * peaks[0] + 20_000, (peaks, logged)
    assert peaks[1] < logged[1] / 10, (peaks, logged)  # reading it all would need more than the log's size
