"""The code location: every asset, check, job and schedule, with the profile's deployment.

`SENTIMENT_PROFILE` (default `local`) picks the deployment (sentiment_assets/defs/deployment.py):
resources, executor, dbt target, the automation sensor's status, paths and links. Nothing here
branches on the profile.
"""

from __future__ import annotations

import dagster as dg

from resources.environment import disable_telemetry
from sentiment_assets.defs.deployment import deployment_for

disable_telemetry()
# Decided before the assets are imported, so an unusable profile fails here with its own message.
deployment = deployment_for()

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


defs = dg.Definitions(
    assets=with_automation_conditions(ALL_ASSETS),
    jobs=[*group_jobs, everything_job, ingest_job, retraining_job, scoring_job, model_approval_job, human_review_job],
    schedules=[nightly_retraining_schedule, hourly_scoring],
    sensors=[
        landing_zone_sensor,
        drift_retraining_sensor,
        automation_sensor(deployment.automation_sensor_status),
    ],
    resources=dict(deployment.resources),
    executor=deployment.executor,
)
