"""When each asset runs: the automation conditions the asset decorators name, and the sensor that
evaluates them. Conditions are the one mechanism for every asset downstream of a landed file.

- A landed file (a new or changed raw_reviews partition) flows at once through dbt, the profile,
  the bias report and the features (`follow_upstream`), and that file is scored at once from its
  accepted rows, whatever its role (`score_landed_files_and_new_champions`).
- Training starts at 02:00 UTC, and only when its inputs changed since it last ran
  (`nightly_retraining`): never once per landed file. Tuning, evaluation and the registry follow
  training; the drift baseline moves with it, so drift is measured against what the model saw.
- A new registered model re-scores every landed file: predictions are keyed by model version and
  scoring only fills what is missing, so each file costs one pass per champion. Every hour,
  files whose predictions are missing or whose last scoring failed are scored again.
- raw_reviews (the landing-zone sensor, `dg launch`) and human_labels (human_review_job) have
  no condition: people and sensors start them.

The `sentiment_automation` sensor evaluates the conditions every 30 seconds; the deployment
decides whether it runs by default (sentiment_assets/defs/deployment.py).
"""

import dagster as dg

AC = dg.AutomationCondition
NIGHTLY_CRON = "0 2 * * *"
HOURLY_CRON = "0 * * * *"
TIMEZONE = "UTC"
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
        (AC.cron_tick_passed(NIGHTLY_CRON, TIMEZONE) & inputs_changed.with_label("inputs_changed")).since_last_handled()
        & ~AC.any_deps_missing()
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
    ).with_label(f"nightly_retraining({NIGHTLY_CRON} {TIMEZONE})")


def score_landed_files_and_new_champions() -> dg.AutomationCondition:
    """batch_predictions[file]: as soon as the file's raw_reviews partition updated (scoring reads
    the accepted rows themselves, so it waits for no dbt rebuild), or after registered_model
    updated (a possible new champion: every file). Not after the training tables change: the
    files' predictions are still complete, and re-materializing them re-runs their drift checks.

    And at the top of every hour, the files whose predictions are missing (a scoring run that
    never finished, a file that landed before the drift baseline existed) or whose last scoring
    run failed: the catch-up an hourly schedule would otherwise be."""
    file_landed = AC.any_deps_match(AC.newly_updated()).allow(RAW_FILES).with_label("file_landed")
    new_model = (
        AC.any_deps_match(AC.newly_updated())
        .allow(dg.AssetSelection.assets("registered_model"))
        .with_label("registered_model_updated")
    )
    catch_up = AC.cron_tick_passed(HOURLY_CRON, TIMEZONE) & (AC.missing() | AC.execution_failed())
    return (
        ((file_landed | new_model).since_last_handled() | catch_up.with_label("hourly_catch_up"))
        & ~AC.any_deps_missing()
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
    ).with_label("score_landed_files_and_new_champions")


def automation_sensor(default_status: dg.DefaultSensorStatus) -> dg.AutomationConditionSensorDefinition:
    """The sensor that evaluates every asset's condition; the deployment picks its default status."""
    return dg.AutomationConditionSensorDefinition(
        "sentiment_automation",
        target=dg.AssetSelection.all(),
        default_status=default_status,
        minimum_interval_seconds=30,
        description="Evaluates every asset's automation condition: landed files flow through dbt, "
        "features and scoring; training runs at 02:00 UTC when its inputs changed; a new "
        "champion re-scores every file, and every hour unscored or failed files are scored "
        "(sentiment_assets/defs/automation_conditions.py).",
    )
