"""`python -m sentiment_assets.training.transformer_job`: killed with SIGKILL and started again it ends
with the weights of an uninterrupted run; under Dagster Pipes its debugger rules come back as
asset checks and its scores as materialization metadata. On a tiny BERT (CPU, offline)."""

import ast
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tiny_bert import ONE_THREAD_ENV, make_tiny_bert, toy_reviews, weights_equal, write_training_inputs
from transformers import AutoModelForSequenceClassification

from sentiment_assets.models.checkpoints import LocalCheckpointStore
from sentiment_assets.models.debugger_rule_names import RULE_NAMES
from sentiment_assets.training.transformer_job import OUTPUT_FILES, load_config, main

REPO = Path(__file__).resolve().parents[1]
ENTRY_POINT = [sys.executable, "-m", "sentiment_assets.training.transformer_job"]
STEPS_PER_EPOCH = 6  # 48 training reviews in batches of 8


pytestmark = pytest.mark.usefixtures("torch_on_one_thread")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The tiny model, training reviews as text and validation reviews as token ids."""
    root = tmp_path_factory.mktemp("inputs")
    model_dir = make_tiny_bert(root / "tiny-bert")
    write_training_inputs(root, model_dir, toy_reviews(per_class=16))
    return root, model_dir


def arguments(inputs, epochs: int) -> list[str]:
    root, model_dir = inputs
    return [
        "--train",
        str(root / "train.parquet"),
        "--valid",
        str(root / "valid.parquet"),
        "--set",
        f"model_name_or_path={model_dir}",
        "--set",
        f"epochs={epochs}",
        "--set",
        "max_seq_length=24",
        "--set",
        "batch_size=8",
        "--set",
        "learning_rate=1e-3",
    ]


def number(value: object) -> float:
    """A metadata value that must be a number."""
    assert isinstance(value, int | float), f"{value!r} is not a number"
    return value


def saved_weights(directory: Path) -> dict:
    return AutoModelForSequenceClassification.from_pretrained(directory).state_dict()


def test_a_run_killed_by_sigkill_and_started_again_ends_with_the_uninterrupted_weights(inputs, tmp_path):
    args = arguments(inputs, epochs=6) + ["--set", "checkpoint_every_steps=2"]
    assert main(args + ["--output-dir", str(tmp_path / "uninterrupted")]) == 0

    resumable = (
        ENTRY_POINT + args + ["--output-dir", str(tmp_path / "out"), "--checkpoints", str(tmp_path / "checkpoints")]
    )
    env = {**os.environ, **ONE_THREAD_ENV}
    with open(tmp_path / "killed.log", "wb") as log:
        process = subprocess.Popen(resumable, cwd=REPO, env=env, stdout=log, stderr=log)
    store, deadline = LocalCheckpointStore(tmp_path / "checkpoints"), time.monotonic() + 180
    while not store.steps() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, (tmp_path / "killed.log").read_text()
    killed_at = store.steps()[-1]
    assert 0 < killed_at < 6 * STEPS_PER_EPOCH
    assert not (tmp_path / "out" / "metrics.json").exists()  # it had not finished

    again = subprocess.run(resumable, cwd=REPO, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["resumed_from_step"] >= killed_at > 0
    assert metrics["steps"] == 6 * STEPS_PER_EPOCH
    assert weights_equal(saved_weights(tmp_path / "out"), saved_weights(tmp_path / "uninterrupted"))
    assert f"resuming from step {metrics['resumed_from_step']}" in again.stderr


def test_the_output_directory_holds_the_model_and_the_debugger_profile_rules_and_metrics(inputs, tmp_path):
    assert main(arguments(inputs, epochs=1) + ["--output-dir", str(tmp_path)]) == 0
    for name in OUTPUT_FILES:
        assert (tmp_path / name).is_file()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert 0 <= metrics["val_accuracy"] <= 1 and metrics["train_samples_per_second"] > 0
    assert metrics["resumed_from_step"] is None and metrics["steps"] == STEPS_PER_EPOCH
    assert [r["name"] for r in json.loads((tmp_path / "rules.json").read_text())] == list(RULE_NAMES)
    assert json.loads((tmp_path / "profile.json").read_text())["steps"] == STEPS_PER_EPOCH
    assert len(json.loads((tmp_path / "debugger.json").read_text())["steps"]) == STEPS_PER_EPOCH
    assert weights_equal(saved_weights(tmp_path), saved_weights(tmp_path))  # a loadable model


def test_config_comes_from_the_json_file_then_the_set_overrides(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"epochs": 3, "learning_rate": 5e-5}))
    config = load_config(
        tmp_path / "config.json", ["epochs=2", "model_name_or_path=/models/minilm", "max_seconds=null"]
    )
    assert (config.epochs, config.learning_rate) == (2, 5e-5)
    assert config.model_name_or_path == "/models/minilm" and config.max_seconds is None
    with pytest.raises(ValueError, match="unknown FineTuneConfig fields: \\['epoch'\\]"):
        load_config(None, ["epoch=2"])


def test_the_entry_point_and_everything_it_imports_from_the_project_never_import_dagster():
    imported, to_read, seen = set(), ["sentiment_assets.training.transformer_job"], set()
    while to_read:  # the project's own modules, followed transitively; lazy imports included
        module = to_read.pop()
        seen.add(module)
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None, f"{module} has no source file"
        tree = ast.parse(Path(spec.origin).read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            for name in names:
                imported.add(name.split(".")[0])
                if name.startswith("sentiment_assets") and name not in seen:
                    to_read.append(name)
    assert "dagster_pipes" in imported and "dagster" not in imported
    assert {"sentiment_assets.models.finetune", "sentiment_assets.models.checkpoints"} <= seen


def test_under_dagster_pipes_the_rules_come_back_as_asset_checks_and_the_scores_as_metadata(inputs, tmp_path):
    import dagster as dg

    command = ENTRY_POINT + arguments(inputs, epochs=1) + ["--output-dir", str(tmp_path)]

    @dg.asset(check_specs=[dg.AssetCheckSpec(name, asset="tiny_sentiment_model") for name in RULE_NAMES])
    def tiny_sentiment_model(context: dg.AssetExecutionContext, pipes: dg.PipesSubprocessClient):
        return pipes.run(command=command, context=context, env=ONE_THREAD_ENV).get_results()

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [tiny_sentiment_model], instance=instance, resources={"pipes": dg.PipesSubprocessClient(cwd=str(REPO))}
    )
    assert result.success

    [materialization] = result.asset_materializations_for_node("tiny_sentiment_model")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert metadata["steps"] == STEPS_PER_EPOCH and metadata["resumed_from_step"] is None
    assert 0 <= number(metadata["val_accuracy"]) <= 1 and number(metadata["train_samples_per_second"]) > 0
    assert number(metadata["profile_total_seconds"]) > 0 and 0 <= number(metadata["profile_data_share"]) <= 1
    assert metadata["output_dir"] == str(tmp_path.resolve())

    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    rules = {r["name"]: r for r in json.loads((tmp_path / "rules.json").read_text())}
    assert set(checks) == set(RULE_NAMES) == set(rules)
    for name, check in checks.items():
        assert check.passed == rules[name]["passed"]
        assert check.severity == dg.AssetCheckSeverity.WARN
        assert check.metadata["description"].value == rules[name]["description"]

    # The progress lines went to Dagster's log through Pipes.
    logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("fine-tuning on 48 examples" in message for message in logged)
