"""The endpoint's request parsing: the course's JSON Lines, one JSON object, and every 4xx it gives."""

import json

import pytest

from sentiment_assets.serving.jsonlines import RequestError, format_predictions, parse_invocation

JSONL = "application/jsonlines"


def refusal(body: bytes, content_type: str | None = JSONL, max_texts: int = 1000) -> RequestError:
    with pytest.raises(RequestError) as caught:
        parse_invocation(body, content_type, max_texts)
    return caught.value


def test_json_lines_yield_every_text_in_order_across_lines():
    body = b'{"features": ["a", "b"]}\n{"features": ["c"]}\n\n{"features": ["d", "e", "f"]}\n'
    assert parse_invocation(body, JSONL, 1000) == ["a", "b", "c", "d", "e", "f"]


def test_a_single_json_object_and_content_type_parameters_are_accepted():
    body = json.dumps({"features": ["Love it", "Hate it"]}, indent=2).encode()
    assert parse_invocation(body, "application/json; charset=utf-8", 1000) == ["Love it", "Hate it"]
    assert parse_invocation(b'{"features": ["x"]}', "Application/X-JSONLines", 1000) == ["x"]


def test_a_line_separator_inside_a_text_does_not_split_the_line():
    body = json.dumps({"features": ["first\u2028second"]}, ensure_ascii=False).encode()
    assert parse_invocation(body, JSONL, 1000) == ["first\u2028second"]


def test_an_unsupported_content_type_is_415_and_names_what_is_accepted():
    error = refusal(b'{"features": ["x"]}', "text/csv")
    assert error.status == 415
    assert "'text/csv'" in error.message and "application/jsonlines" in error.message
    assert refusal(b'{"features": ["x"]}', None).status == 415


def test_an_empty_or_blank_body_is_400():
    for body in (b"", b"\n \n"):
        error = refusal(body)
        assert (error.status, error.message.startswith("empty body")) == (400, True)


def test_invalid_json_is_400_naming_the_line():
    error = refusal(b'{"features": ["ok"]}\n\n{"features": ["broken"\n')
    assert error.status == 400
    assert error.message.startswith("line 3: invalid JSON")


def test_invalid_json_in_a_single_object_names_its_line_too():
    error = refusal(b'{\n  "features": [\n    "a",\n  ]\n}', "application/json")
    assert (error.status, error.message.split(":")[0]) == (400, "line 4")


def test_a_line_without_features_is_422_naming_the_line():
    error = refusal(b'{"features": ["ok"]}\n{"text": ["no"]}')
    assert (error.status, error.message) == (422, "line 2: missing 'features' (expected {\"features\": [\"review text\", ...]})")


def test_non_string_items_and_wrong_shapes_are_422_naming_line_index_and_type():
    assert refusal(b'{"features": ["ok", 3]}').message == "line 1: features[1] must be a string, got number"
    assert refusal(b'{"features": [null]}').message == "line 1: features[0] must be a string, got null"
    assert refusal(b'{"features": "one text"}').message == "line 1: 'features' must be a list of strings, got string"
    assert refusal(b'["a", "b"]').message.startswith("line 1: expected an object like")
    assert refusal(b'["a", "b"]').status == 422


def test_more_texts_than_the_limit_is_413_and_states_the_limit():
    body = b'{"features": ["a", "b"]}\n{"features": ["c", "d"]}\n{"features": ["e"]}'
    assert len(parse_invocation(body, JSONL, max_texts=5)) == 5
    error = refusal(body, max_texts=3)
    assert error.status == 413
    assert error.message == "too many texts: line 2 brings the request to 4; the limit is 3 per request"


def test_only_empty_feature_lists_is_400():
    assert refusal(b'{"features": []}').message == "no texts to score: every 'features' list is empty"


def test_a_body_that_is_not_utf8_is_400():
    assert refusal(b'{"features": ["\xff"]}').message.startswith("body is not UTF-8")


def test_predictions_become_one_json_line_per_text():
    body = format_predictions([1, -1], [0.9, 0.75])
    lines = body.decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"predicted_label": 1, "probability": 0.9},
                                                    {"predicted_label": -1, "probability": 0.75}]
    assert body.endswith(b"\n")
