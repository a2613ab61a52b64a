"""`sentiment-assets`, the installed console script: its help, each command's help, and real
commands run end to end in subprocesses against temporary homes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from sentiment_assets.cli import COMMANDS

SCRIPT = Path(sys.executable).parent / "sentiment-assets"
REPO = Path(__file__).resolve().parents[1]

#: Per command: text its --help must show (its sub-commands or its main options).
HELP_MENTIONS = {
    "register-partition": ["KEY", "default: bundled", "refused key registers nothing"],
    "where-to-look": ["warehouse", "SENTIMENT_HOME"],
    "registry": ["pending", "approve", "reject"],
    "review": ["enqueue", "list", "label", "skip", "labels", "--db"],
    "lineage": ["prediction", "model"],
    "score": ["--db", "--model-dir", "--partition", "--model-version", "--engine"],
    "serving": ["serve", "shift-traffic", "stats"],
    "train": ["--train", "--valid", "--set KEY=VALUE", "--output-dir", "--checkpoints"],
    "move": ["--from", "--to", "--device", "--processes", "--after-step", "--interrupted", "--no-relaunch"],
}


def sentiment_assets(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), *args], cwd=REPO, env=env or dict(os.environ), capture_output=True, text=True, timeout=300
    )


def test_the_console_script_is_installed_in_the_environment_that_runs_the_tests():
    assert SCRIPT.is_file() and os.access(SCRIPT, os.X_OK), "run `pip install -e .` to create the console script"


def test_help_lists_every_command_with_what_it_does_and_examples():
    done = sentiment_assets("--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: sentiment-assets [-h] COMMAND ...")
    for command in COMMANDS:
        assert command.name in done.stdout
        assert " ".join(command.help.split()[:3]) in " ".join(done.stdout.split())
    assert "sentiment-assets registry approve 3" in done.stdout
    assert "`sentiment-assets COMMAND --help` describes a command's options." in done.stdout


def test_every_command_in_the_table_has_its_help_text_checked_here():
    assert sorted(c.name for c in COMMANDS) == sorted(HELP_MENTIONS)


@pytest.mark.parametrize("name", sorted(HELP_MENTIONS))
def test_each_commands_help_is_its_own_parsers_under_the_console_scripts_name(name):
    done = sentiment_assets(name, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: sentiment-assets {name} ")
    for text in HELP_MENTIONS[name]:
        assert text in done.stdout, f"{text!r} missing from `sentiment-assets {name} --help`"


def test_a_sub_commands_help_names_the_whole_command_line():
    done = sentiment_assets("registry", "approve", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: sentiment-assets registry approve ")
    assert "--reason" in done.stdout and "becomes the champion" in done.stdout


def test_no_command_or_an_unknown_one_is_a_usage_error():
    missing, unknown = sentiment_assets(), sentiment_assets("approve")
    assert missing.returncode == 2 and "required: COMMAND" in missing.stderr
    assert unknown.returncode == 2 and "invalid choice: 'approve'" in unknown.stderr


def test_the_help_loads_neither_dagster_mlflow_nor_torch():
    code = (
        "import sys; from sentiment_assets.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({'dagster', 'mlflow', 'torch'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


def test_register_partition_adds_the_keys_to_the_instance_in_dagster_home(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    done = sentiment_assets("register-partition", "march.csv", "score/june.csv", env=env)
    assert done.returncode == 0, done.stderr
    assert "raw_reviews partitions registered: march.csv, score/june.csv" in done.stdout
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_dynamic_partitions("review_files") == ["march.csv", "score/june.csv"]


def test_register_partition_refuses_a_bad_key_and_registers_none_of_the_others(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    done = sentiment_assets("register-partition", "fine.csv", "../escape.csv", env=env)
    assert done.returncode == 2
    assert "refused, nothing registered" in done.stderr and "'../escape.csv'" in done.stderr
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_dynamic_partitions("review_files") == []


def test_where_to_look_counts_the_rows_of_the_warehouses_tables(tmp_path):
    env = {**os.environ, "SENTIMENT_HOME": str(tmp_path)}
    empty = sentiment_assets("where-to-look", env=env)
    assert empty.returncode == 0 and "no warehouse yet" in empty.stdout
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute("CREATE TABLE raw_reviews AS SELECT range AS review_id FROM range(1234)")
    done = sentiment_assets("where-to-look", env=env)
    assert done.returncode == 0, done.stderr
    assert "raw_reviews" in done.stdout and "1,234 rows" in done.stdout


def test_serving_shift_traffic_writes_the_routing_table_and_stats_reads_it_back(tmp_path):
    routing, traffic = tmp_path / "routing.json", tmp_path / "traffic.jsonl"
    shifted = sentiment_assets("serving", "shift-traffic", "--challenger", "0.2", "--routing", str(routing))
    assert shifted.returncode == 0, shifted.stderr
    assert json.loads(routing.read_text())["weights"] == {"champion": 0.8, "challenger": 0.2}
    stats = sentiment_assets("serving", "stats", "--json", "--routing", str(routing), "--traffic-log", str(traffic))
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["weights"] == {"champion": 0.8, "challenger": 0.2}


def test_review_without_a_warehouse_says_where_it_looked_and_exits_2(tmp_path):
    done = sentiment_assets("review", "--db", str(tmp_path / "nowhere.duckdb"), "list")
    assert done.returncode == 2
    assert f"no warehouse at {tmp_path / 'nowhere.duckdb'}" in done.stderr
