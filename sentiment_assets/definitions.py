"""The code location: every asset, check, job and schedule, with the profile's resources.

`SENTIMENT_PROFILE` (default `local`) picks the resources and the dbt target in
resources/profiles.py; nothing else here knows which profile is active.
"""

from __future__ import annotations

import dagster as dg

from resources.environment import Profile, disable_telemetry, get_profile
from resources.profiles import resources_for

disable_telemetry()
# Resolved before the assets are imported, so an unusable profile fails here with its own message.
profile = get_profile()
resources = resources_for(profile)

from sentiment_assets.defs.automation import (  # noqa: E402
    everything_job,
    group_jobs,
    ingest_job,
    nightly_retraining_schedule,
    retraining_job,
    scoring_job,
)
from sentiment_assets.defs.automation_conditions import automation_sensor, with_automation_conditions  # noqa: E402
from sentiment_assets.defs.deploy_manage.approval_job import model_approval_job  # noqa: E402
from sentiment_assets.defs.deploy_manage.batch_predictions import batch_predictions  # noqa: E402
from sentiment_assets.defs.deploy_manage.drift_baseline import drift_baseline  # noqa: E402
from sentiment_assets.defs.deploy_manage.drift_sensor import drift_retraining_sensor  # noqa: E402
from sentiment_assets.defs.deploy_manage.human_review import human_labels, human_review_job, review_queue  # noqa: E402
from sentiment_assets.defs.deploy_manage.model_evaluation import model_evaluation  # noqa: E402
from sentiment_assets.defs.deploy_manage.post_training_bias_report import post_training_bias_report  # noqa: E402
from sentiment_assets.defs.deploy_manage.registered_model import registered_model  # noqa: E402
from sentiment_assets.defs.deploy_manage.scoring_schedule import hourly_scoring  # noqa: E402
from sentiment_assets.defs.ingest_analyze.bias_report import bias_report  # noqa: E402
from sentiment_assets.defs.ingest_analyze.landing_sensor import landing_zone_sensor  # noqa: E402
from sentiment_assets.defs.ingest_analyze.raw_reviews import raw_reviews  # noqa: E402
from sentiment_assets.defs.ingest_analyze.review_profile import review_profile  # noqa: E402
from sentiment_assets.defs.prepare_transform.assets import balanced_reviews, feature_store, review_features  # noqa: E402
from sentiment_assets.defs.prepare_transform.dbt_models import dbt_models  # noqa: E402
from sentiment_assets.defs.train_tune.candidate_models import candidate_models  # noqa: E402
from sentiment_assets.defs.train_tune.finetuned_minilm import finetuned_minilm  # noqa: E402
from sentiment_assets.defs.train_tune.tuned_model import tuned_model  # noqa: E402

ALL_ASSETS = [
    raw_reviews,
    dbt_models,
    review_profile,
    bias_report,
    balanced_reviews,
    review_features,
    feature_store,
    finetuned_minilm,
    candidate_models,
    tuned_model,
    model_evaluation,
    registered_model,
    drift_baseline,
    batch_predictions,
    post_training_bias_report,
    review_queue,
    human_labels,
]


def executor_for(profile: Profile) -> dg.ExecutorDefinition:
    """Locally every step writes one DuckDB file, which takes one writer at a time: steps run in
    one process. On AWS each step is a Kubernetes Job (tables are S3 objects, partitions are
    separate objects), so a backfill's batch-prediction partitions fan out across pods."""
    if profile is Profile.AWS:
        from sentiment_assets.defs.executors import aws_executor  # dagster-k8s only where it is used

        return aws_executor
    return dg.in_process_executor


# Locally `dagster dev` starts evaluating the automation conditions at once; elsewhere someone
# turns the sensor on deliberately.
AUTOMATION_SENSOR_STATUS = {Profile.LOCAL: dg.DefaultSensorStatus.RUNNING}

defs = dg.Definitions(
    assets=with_automation_conditions(ALL_ASSETS),
    jobs=[*group_jobs, everything_job, ingest_job, retraining_job, scoring_job, model_approval_job, human_review_job],
    schedules=[nightly_retraining_schedule, hourly_scoring],
    sensors=[
        landing_zone_sensor,
        drift_retraining_sensor,
        automation_sensor(AUTOMATION_SENSOR_STATUS.get(profile, dg.DefaultSensorStatus.STOPPED)),
    ],
    resources=resources,
    executor=executor_for(profile),
)
