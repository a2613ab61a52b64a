"""FastScorer on a tiny random BERT with the bundled tokenizer: order, shape, fp32 parity, int8."""

import json
import os
from contextlib import closing

import duckdb
import numpy as np
import pandas as pd
import pytest
import torch
from tiny_bert import random_length_reviews
from torch.ao.nn.quantized.dynamic import Linear as DynamicQuantizedLinear

from resources.warehouse import DuckDBWarehouse
from sentiment_assets.models.fast_inference import (
    FastScorer,
    fast_predict_proba,
    intra_op_threads,
    physical_cores,
)
from sentiment_assets.models.tfidf import TfidfLogisticRegression
from sentiment_assets.scoring.batch import score_partition

# A tiny model runs fastest on one thread, and one thread does not stall when other processes
# keep the machine's cores busy (every parallel step would wait for a descheduled sibling).
THREADS = 1


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    with intra_op_threads(THREADS):
        yield


@pytest.fixture(scope="module")
def reviews() -> pd.DataFrame:
    """Reviews of 1 to 40 words, so that length sorting reorders them and some are truncated."""
    return random_length_reviews(60, seed=3)


def test_fp32_scoring_gives_the_classifiers_own_probabilities(tiny_bert_classifier, reviews):
    fast = FastScorer(
        tiny_bert_classifier,
        quantize=False,
        batch_size=tiny_bert_classifier.config.eval_batch_size,
        num_threads=THREADS,
    )

    np.testing.assert_array_equal(fast.predict_proba(reviews), tiny_bert_classifier.predict_proba(reviews))


def test_probabilities_come_back_in_input_order_and_each_row_sums_to_one(tiny_bert_classifier, reviews):
    fast = FastScorer(tiny_bert_classifier, quantize=False, batch_size=7, num_threads=THREADS)
    reversed_reviews = reviews.iloc[::-1].reset_index(drop=True)

    forward, backward = fast.predict_proba(reviews), fast.predict_proba(reversed_reviews)

    assert forward.shape == (60, 3)
    np.testing.assert_allclose(forward.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(backward[::-1], forward, atol=1e-5)
    one_by_one = np.vstack([fast.predict_proba(reviews.iloc[[i]]) for i in (0, 17, 59)])
    np.testing.assert_allclose(one_by_one, forward[[0, 17, 59]], atol=1e-5)


def test_int8_scoring_replaces_every_linear_layer_and_stays_close_to_fp32(tiny_bert_classifier, reviews):
    fast = FastScorer(tiny_bert_classifier, quantize=True, batch_size=16, num_threads=THREADS)

    linear = [m for m in fast.model.modules() if type(m) is torch.nn.Linear]
    quantized = [m for m in fast.model.modules() if isinstance(m, DynamicQuantizedLinear)]
    assert not linear and len(quantized) == 2 * 6 + 2  # 6 per layer, pooler, classifier head
    assert all(m.weight().dtype == torch.qint8 for m in quantized)
    # The classifier keeps its float model: quantizing works on a copy.
    assert sum(type(m) is torch.nn.Linear for m in tiny_bert_classifier.model.modules()) == 14

    exact, approx = tiny_bert_classifier.predict_proba(reviews), fast.predict_proba(reviews)
    np.testing.assert_allclose(approx.sum(axis=1), 1.0, atol=1e-6)
    assert np.abs(approx - exact).max() < 0.05
    assert (approx.argmax(axis=1) == exact.argmax(axis=1)).mean() >= 0.9


def test_token_ids_from_a_feature_store_column_score_like_the_text(tiny_bert_classifier, reviews):
    fast = FastScorer(tiny_bert_classifier, quantize=False, num_threads=THREADS)
    ids = tiny_bert_classifier.tokenizer(reviews["review_body"].tolist(), padding="max_length", max_length=48)[
        "input_ids"
    ]
    from_ids = reviews.assign(input_ids=[json.dumps(i) for i in ids], review_body="ignored")

    np.testing.assert_allclose(fast.predict_proba(from_ids), fast.predict_proba(reviews), atol=1e-6)


def test_scoring_no_reviews_gives_an_empty_three_column_array(tiny_bert_classifier):
    assert FastScorer(tiny_bert_classifier, num_threads=THREADS).predict_proba(
        pd.DataFrame({"review_body": []})
    ).shape == (0, 3)


def test_thread_setting_applies_inside_the_block_and_is_restored_after():
    before = torch.get_num_threads()
    with intra_op_threads(before + 1):
        assert torch.get_num_threads() == before + 1
    assert torch.get_num_threads() == before


def test_the_default_thread_count_is_the_physical_cores_this_process_may_use():
    assert 1 <= physical_cores() <= len(os.sched_getaffinity(0))


def test_fast_predict_proba_speeds_up_transformers_and_passes_other_families_through(tiny_bert_classifier):
    tfidf = TfidfLogisticRegression()

    assert fast_predict_proba(tfidf) == tfidf.predict_proba
    scorer = fast_predict_proba(tiny_bert_classifier, engine="torch_int8").__self__
    assert isinstance(scorer, FastScorer) and scorer.quantized
    assert not fast_predict_proba(tiny_bert_classifier, engine="torch").__self__.quantized


def test_an_unknown_scoring_engine_is_refused_with_the_known_ones(tiny_bert_classifier):
    with pytest.raises(ValueError, match="torch, torch_int8, onnxruntime_int8"):
        fast_predict_proba(tiny_bert_classifier, engine="tensorrt")


def test_a_fast_scorer_scores_a_partition_into_the_warehouse(tmp_path, tiny_bert_classifier, reviews):
    db = tmp_path / "w.duckdb"
    with closing(duckdb.connect(str(db))) as connection:
        connection.register("frame", reviews.assign(review_id=[f"r{i:03d}" for i in range(60)], source_partition="p"))
        connection.execute(
            "CREATE TABLE raw_reviews AS SELECT *, review_body AS review_body_normalised FROM frame"
        ).fetchall()

    summary = score_partition(
        DuckDBWarehouse(path=str(db)),
        partition_key="p",
        predict_proba=FastScorer(tiny_bert_classifier, quantize=False, num_threads=THREADS).predict_proba,
        model_name="tiny",
        model_version=1,
        chunk_size=25,
    )

    assert (summary.total_reviews, summary.scored_now) == (60, 60)
    with closing(duckdb.connect(str(db))) as connection:
        stored = connection.execute(
            "SELECT probability_positive FROM batch_predictions ORDER BY review_id"
        ).fetchnumpy()
    np.testing.assert_allclose(
        stored["probability_positive"], tiny_bert_classifier.predict_proba(reviews)[:, 2], atol=1e-5
    )
