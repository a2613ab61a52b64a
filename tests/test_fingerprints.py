"""frame_fingerprint: one digest of a set of rows, used to name a training run's checkpoints."""

import pandas as pd

from sentiment_assets.fingerprints import frame_fingerprint
from sentiment_assets.models.finetune_config import FineTuneConfig
from sentiment_assets.training.run_name import run_fingerprint

ROWS = pd.DataFrame({"review_id": ["a", "b", "c"], "label_id": [0, 1, 2]})


def test_the_same_rows_in_any_order_give_the_same_sixteen_hex_digits():
    shuffled = ROWS.iloc[[2, 0, 1]].reset_index(drop=True)
    fingerprint = frame_fingerprint(ROWS, sort_by="review_id")
    assert fingerprint == frame_fingerprint(shuffled, sort_by="review_id")
    assert len(fingerprint) == 16 and int(fingerprint, 16) >= 0


def test_a_changed_value_a_removed_row_or_another_salt_changes_the_fingerprint():
    fingerprint = frame_fingerprint(ROWS, sort_by="review_id")
    relabelled = ROWS.assign(label_id=[0, 1, 1])
    assert frame_fingerprint(relabelled, sort_by="review_id") != fingerprint
    assert frame_fingerprint(ROWS.iloc[:2], sort_by="review_id") != fingerprint
    assert frame_fingerprint(ROWS, sort_by="review_id", salt="epochs=3") != fingerprint


def test_a_training_run_is_named_by_its_weight_deciding_settings_and_rows_not_by_how_it_runs():
    train = ROWS.assign(review_body="text")
    name = run_fingerprint(FineTuneConfig(), train)
    assert name == run_fingerprint(FineTuneConfig(device="cuda", eval_batch_size=512), train.iloc[::-1])
    assert name != run_fingerprint(FineTuneConfig(epochs=3), train)
    assert name != run_fingerprint(FineTuneConfig(), train.assign(label_id=[2, 1, 0]))
