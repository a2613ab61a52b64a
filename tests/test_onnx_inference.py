"""ONNX Runtime scoring on a tiny random BERT with the bundled tokenizer: export, fusion, parity."""

import numpy as np
import onnx
import pandas as pd
import pytest
from tiny_bert import random_length_reviews

from sentiment_assets.models.fast_inference import fast_predict_proba
from sentiment_assets.models.onnx_inference import OnnxScorer, export_onnx


@pytest.fixture(scope="module")
def reviews() -> pd.DataFrame:
    """Reviews of 1 to 40 words: length sorting reorders them and the longest are truncated."""
    return random_length_reviews(40, seed=5)


@pytest.fixture(scope="module")
def exported(tiny_bert_classifier, tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    return {
        "fp32": export_onnx(tiny_bert_classifier, folder / "fp32.onnx", quantize=False),
        "int8": export_onnx(tiny_bert_classifier, folder / "int8.onnx"),
    }


def op_types(path) -> set[str]:
    return {node.op_type for node in onnx.load(str(path)).graph.node}


def test_the_export_fuses_attention_embeddings_and_layer_norms(exported):
    ops = op_types(exported["fp32"])

    assert {"Attention", "EmbedLayerNormalization", "SkipLayerNormalization"} <= ops


def test_the_int8_export_computes_attention_and_matrix_products_in_int8(exported):
    ops = op_types(exported["int8"])

    assert "QAttention" in ops and "Attention" not in ops
    assert ops & {"MatMulInteger", "DynamicQuantizeMatMul"}


def test_fp32_onnx_scoring_matches_the_classifiers_probabilities_in_input_order(
    tiny_bert_classifier, reviews, exported
):
    scorer = OnnxScorer(
        exported["fp32"],
        tiny_bert_classifier.tokenizer,
        tiny_bert_classifier.config.max_seq_length,
        batch_size=7,
        num_threads=1,
    )

    probabilities = scorer.predict_proba(reviews)

    assert probabilities.shape == (40, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(probabilities, tiny_bert_classifier.predict_proba(reviews), atol=1e-4)


def test_int8_onnx_scoring_stays_close_to_fp32(tiny_bert_classifier, reviews, exported):
    fp32 = OnnxScorer(exported["fp32"], tiny_bert_classifier.tokenizer, 24, num_threads=1).predict_proba(reviews)
    int8 = OnnxScorer(exported["int8"], tiny_bert_classifier.tokenizer, 24, num_threads=1).predict_proba(reviews)

    assert not np.array_equal(int8, fp32)  # it really is another computation
    np.testing.assert_allclose(int8, fp32, atol=0.05)


def test_token_ids_from_the_feature_store_score_like_the_review_text(tiny_bert_classifier, reviews, exported):
    scorer = OnnxScorer(exported["fp32"], tiny_bert_classifier.tokenizer, 24, num_threads=1)
    ids = tiny_bert_classifier.tokenizer(reviews["review_body"].tolist(), truncation=True, max_length=24)["input_ids"]

    from_ids = scorer.predict_proba(pd.DataFrame({"input_ids": ids}))

    np.testing.assert_allclose(from_ids, scorer.predict_proba(reviews), atol=1e-6)


def test_the_exported_model_is_cached_at_its_path_and_reused(tiny_bert_classifier, reviews, tmp_path):
    path = tmp_path / "v3" / "model.onnx"
    first = OnnxScorer.from_classifier(tiny_bert_classifier, path, num_threads=1)
    written = path.stat().st_mtime_ns

    second = fast_predict_proba(tiny_bert_classifier, engine="onnxruntime_int8", onnx_path=path).__self__

    assert isinstance(second, OnnxScorer) and path.stat().st_mtime_ns == written
    assert not list(path.parent.glob(".*partial"))
    np.testing.assert_array_equal(second.predict_proba(reviews), first.predict_proba(reviews))


def test_an_empty_frame_scores_to_no_rows(tiny_bert_classifier, exported):
    scorer = OnnxScorer(exported["int8"], tiny_bert_classifier.tokenizer, 24, num_threads=1)

    assert scorer.predict_proba(pd.DataFrame({"review_body": []})).shape == (0, 3)
