"""The A/B routing table: weighted choices, atomic writes, live re-reads, and shift-traffic."""

import json
import os
import random

import pytest

from sentiment_assets.serving.commands import main as serving_cli
from sentiment_assets.serving.routing import (
    CHALLENGER,
    CHAMPION,
    RoutingFile,
    RoutingTable,
    challenger_table,
    default_table,
    read_table,
    write_table,
)


def challenger_share_of(table: RoutingTable, draws: int = 10_000, seed: int = 7) -> float:
    rng = random.Random(seed)
    return sum(table.choose(rng.random()) == CHALLENGER for _ in range(draws)) / draws


def test_routing_sends_each_variant_its_weights_share_of_seeded_draws():
    assert challenger_share_of(challenger_table(0.2)) == pytest.approx(0.2, abs=0.02)
    assert challenger_share_of(RoutingTable({CHAMPION: 3, CHALLENGER: 1})) == pytest.approx(0.25, abs=0.02)


def test_a_draw_maps_to_the_variant_whose_cumulative_share_covers_it():
    table = challenger_table(0.2)
    assert [table.choose(d) for d in (0.0, 0.79, 0.8, 0.999999)] == [CHAMPION, CHAMPION, CHALLENGER, CHALLENGER]
    assert {challenger_table(1.0).choose(d) for d in (0.0, 0.5, 0.99)} == {CHALLENGER}
    assert {challenger_table(0.0).choose(d) for d in (0.0, 0.5, 0.99)} == {CHAMPION}


def test_the_default_sends_every_request_to_the_champion_and_lists_a_loaded_challenger_at_zero():
    assert default_table(has_challenger=True).shares() == {CHAMPION: 1.0, CHALLENGER: 0.0}
    assert default_table(has_challenger=False).shares() == {CHAMPION: 1.0}


def test_invalid_tables_and_shares_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="within 0..1"):
        challenger_table(1.2)
    with pytest.raises(ValueError, match="unknown variant"):
        RoutingTable({CHAMPION: 1, "canary": 1})
    with pytest.raises(ValueError, match="finite number >= 0"):
        RoutingTable({CHAMPION: -0.1, CHALLENGER: 1})
    with pytest.raises(ValueError, match="at least one variant"):
        RoutingTable({CHAMPION: 0, CHALLENGER: 0})


def test_a_table_that_weights_an_unloaded_challenger_sends_everything_to_the_champion():
    assert challenger_table(1.0).restricted_to([CHAMPION]).shares() == {CHAMPION: 1.0}
    assert challenger_table(0.3).restricted_to([CHAMPION]).shares() == {CHAMPION: 1.0}


def test_write_table_replaces_the_file_atomically_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "serving" / "routing.json"
    write_table(path, challenger_table(0.2))
    write_table(path, challenger_table(0.7))
    assert read_table(path).shares() == pytest.approx({CHAMPION: 0.3, CHALLENGER: 0.7})
    assert [p.name for p in path.parent.iterdir()] == ["routing.json"]


def test_the_routing_file_is_re_read_when_it_changes(tmp_path):
    path = tmp_path / "routing.json"
    live = RoutingFile(path, [CHAMPION, CHALLENGER])
    assert live.current().shares() == {CHAMPION: 1.0, CHALLENGER: 0.0}  # no file yet: the default
    write_table(path, challenger_table(0.2))
    assert live.current().shares()[CHALLENGER] == pytest.approx(0.2)
    write_table(path, challenger_table(1.0))
    assert live.current().shares() == {CHAMPION: 0.0, CHALLENGER: 1.0}


def test_a_broken_edit_keeps_the_last_good_table_and_reports_the_error(tmp_path):
    path = tmp_path / "routing.json"
    write_table(path, challenger_table(0.2))
    live = RoutingFile(path, [CHAMPION, CHALLENGER])
    assert live.current().shares()[CHALLENGER] == pytest.approx(0.2)
    path.write_text('{"weights": {"champion": "lots"}}')
    os.utime(path, ns=(1, 1))  # a distinct mtime even on a coarse-grained filesystem clock
    assert live.current().shares()[CHALLENGER] == pytest.approx(0.2)
    assert live.error is not None and "not a valid routing table" in live.error


def test_shift_traffic_writes_the_table_and_refuses_a_share_outside_zero_to_one(tmp_path, capsys):
    path = tmp_path / "routing.json"
    assert serving_cli(["shift-traffic", "--challenger", "0.25", "--routing", str(path)]) == 0
    assert json.loads(path.read_text())["weights"] == {CHAMPION: 0.75, CHALLENGER: 0.25}
    assert "challenger 25%" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        serving_cli(["shift-traffic", "--challenger", "1.5", "--routing", str(path)])
    assert refused.value.code == 2
    assert "within 0..1" in capsys.readouterr().err
    assert read_table(path).shares()[CHALLENGER] == 0.25  # the refused call left the table alone
