import numpy as np
import pytest

from sentiment_assets.labels import label_id_from_sentiment, sentiment_from_label_id, sentiment_from_stars


def test_stars_map_to_the_course_sentiments():
    assert sentiment_from_stars(np.array([1, 2, 3, 4, 5])).tolist() == [-1, -1, 0, 1, 1]


def test_label_ids_are_sentiment_shifted_by_one_and_round_trip():
    assert label_id_from_sentiment(np.array([-1, 0, 1])).tolist() == [0, 1, 2]
    assert sentiment_from_label_id(label_id_from_sentiment(np.array([1, -1, 0]))).tolist() == [1, -1, 0]


def test_stars_outside_one_to_five_are_refused_with_the_values():
    with pytest.raises(ValueError, match=r"\[0, 6\]"):
        sentiment_from_stars(np.array([0, 3, 6]))
