"""Declarative automation: which asset follows what, and the sensor that acts on it.

- A landed file (a new or changed raw_reviews partition) flows at once through dbt, the profile,
  the bias report and the features (`follow_upstream`), and that file is scored at once from its
  accepted rows, whatever its role (`score_landed_files_and_new_champions`).
- Training starts at 02:00 UTC, and only when its inputs changed since it last ran
  (`nightly_retraining`): never once per landed file. Tuning, evaluation and the registry follow
  training; the drift baseline moves with it, so drift is measured against what the model saw.
- A new registered model re-scores every landed file: predictions are keyed by model version and
  scoring only fills what is missing, so each file costs one pass per champion.
- raw_reviews (the landing-zone sensor, `dg launch`) and human_labels (human_review_job) are
  started by people and sensors, not by conditions.

The `sentiment_automation` sensor evaluates these conditions every 30 seconds; it runs by default
with the local profile (`dagster dev` / `make ui` start it) and can be switched off in the UI.
"""

from collections.abc import Iterable

import dagster as dg

AC = dg.AutomationCondition
NIGHTLY_CRON = "0 2 * * *"
NIGHTLY_TIMEZONE = "UTC"
RAW_FILES = dg.AssetSelection.assets("raw_reviews")


def follow_upstream(ignoring: dg.AssetSelection | None = None) -> dg.AutomationCondition:
    """Eager: run after anything upstream updates (except `ignoring`), once nothing upstream is
    missing or running. A registered file that was never ingested (a missing raw_reviews
    partition) does not hold the other files back: the warehouse models read the partitions that exist."""
    eager = AC.eager().replace("any_deps_missing", AC.any_deps_missing().ignore(RAW_FILES))
    return (eager.ignore(ignoring) if ignoring else eager).with_label("follow_upstream")


def nightly_retraining() -> dg.AutomationCondition:
    """At 02:00 UTC, if an input changed since this asset was last built (no retraining on
    unchanged data); waits for anything upstream still running.

    Not `AutomationCondition.on_cron`: that waits after 02:00 until every input updates again,
    and the feature store only updates when a file lands, so training would start after the
    first file of the day instead of at night."""
    inputs_changed = AC.any_deps_match(AC.newly_updated() | AC.will_be_requested()).since_last_handled()
    return (
        (
            AC.cron_tick_passed(NIGHTLY_CRON, NIGHTLY_TIMEZONE) & inputs_changed.with_label("inputs_changed")
        ).since_last_handled()
        & ~AC.any_deps_missing()
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
    ).with_label(f"nightly_retraining({NIGHTLY_CRON} {NIGHTLY_TIMEZONE})")


def score_landed_files_and_new_champions() -> dg.AutomationCondition:
    """batch_predictions[file]: as soon as the file's raw_reviews partition updated (scoring reads
    the accepted rows themselves, so it waits for no dbt rebuild), or after registered_model
    updated (a possible new champion: every file). Not after the training tables change: the
    files' predictions are still complete, and re-materializing them re-runs their drift checks."""
    file_landed = AC.any_deps_match(AC.newly_updated()).allow(RAW_FILES)
    new_model = AC.any_deps_match(AC.newly_updated()).allow(dg.AssetSelection.assets("registered_model"))
    return (
        (file_landed.with_label("file_landed") | new_model.with_label("registered_model_updated")).since_last_handled()
        & ~AC.any_deps_missing()
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
    ).with_label("score_landed_files_and_new_champions")


# Every asset not listed here follows its upstream (dbt models included, whatever their names).
NIGHTLY = frozenset({"finetuned_minilm", "candidate_models", "drift_baseline"})
SCORING = frozenset({"batch_predictions"})
EVALUATION = frozenset({"model_evaluation"})
STARTED_BY_HAND_OR_SENSOR = frozenset({"raw_reviews", "human_labels"})


def automation_condition_for(key: dg.AssetKey) -> dg.AutomationCondition | None:
    name = key.to_user_string()
    if name in STARTED_BY_HAND_OR_SENSOR:
        return None
    if name in NIGHTLY:
        return nightly_retraining()
    if name in SCORING:
        return score_landed_files_and_new_champions()
    if name in EVALUATION:
        # A new holdout file is judged at the next evaluation: evaluating at once would register
        # the same model again and re-score every file.
        return follow_upstream(ignoring=dg.AssetSelection.assets("holdout_reviews"))
    return follow_upstream()


def with_automation_conditions(assets: Iterable[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The assets with the condition `automation_condition_for` gives each of their keys."""
    return dg.map_asset_specs(
        lambda spec: spec.replace_attributes(automation_condition=automation_condition_for(spec.key)), list(assets)
    )


def automation_sensor(default_status: dg.DefaultSensorStatus) -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        "sentiment_automation",
        target=dg.AssetSelection.all(),
        default_status=default_status,
        minimum_interval_seconds=30,
        description="Evaluates every asset's automation condition: landed files flow through dbt, "
        "features and scoring; training runs at 02:00 UTC when its inputs changed; a new "
        "champion re-scores every file (sentiment_assets/defs/automation_conditions.py).",
    )
