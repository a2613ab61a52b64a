"""The endpoint's request parsing: the course's JSON Lines, one JSON object, and every 4xx it gives."""

import json

import pytest

from sentiment_assets.serving.jsonlines import (
    MAX_JSON_DEPTH,
    RequestError,
    check_nesting,
    format_predictions,
    is_blank,
    parse_invocation,
)

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
    assert (error.status, error.message) == (
        422,
        'line 2: missing \'features\' (expected {"features": ["review text", ...]})',
    )


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
    assert [json.loads(line) for line in lines] == [
        {"predicted_label": 1, "probability": 0.9},
        {"predicted_label": -1, "probability": 0.75},
    ]
    assert body.endswith(b"\n")


def test_json_nested_deeper_than_the_limit_is_400_before_the_parser_recurses():
    deep = '{"features": ' + "[" * 100_000 + "]" * 100_000 + "}"
    for body, kind in ((deep, "application/jsonlines"), (deep, "application/json")):
        with pytest.raises(RequestError) as refused:
            parse_invocation(body.encode(), kind, 1000)
        assert refused.value.status == 400 and f"nested deeper than {MAX_JSON_DEPTH} levels" in refused.value.message
    # Unclosed, or after a stray closing bracket, it is refused all the same.
    for body in (b"[" * 100_000, b"]" + b"[" * 100_000):
        with pytest.raises(RequestError, match="nested deeper"):
            parse_invocation(body, "application/jsonlines", 1000)
    # Brackets inside strings are text, not nesting.
    assert parse_invocation(json.dumps({"features": ["[" * 5000 + "{" * 5000]}).encode(), "application/json", 1000) == [
        "[" * 5000 + "{" * 5000
    ]


def test_nesting_up_to_the_limit_reaches_the_usual_shape_checks():
    nested = '{"features": ["ok"], "extra": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    assert parse_invocation(nested.encode(), "application/json", 1000) == ["ok"]
    check_nesting("[" * MAX_JSON_DEPTH, "line 1")
    with pytest.raises(RequestError):
        check_nesting("[" * (MAX_JSON_DEPTH + 1), "line 1")


@pytest.mark.parametrize("blank", ["", "   ", "\t\n", "\u200b", " \u200b\u200c\u200d\u2060\ufeff ", "\u00a0\u3000"])
def test_a_blank_text_is_422_naming_its_line_its_index_and_its_place_in_the_request(blank):
    body = "\n".join([json.dumps({"features": ["Lovely.", "Runs small."]}), json.dumps({"features": ["Fine.", blank]})])
    with pytest.raises(RequestError) as refused:
        parse_invocation(body.encode(), "application/jsonlines", 1000)
    assert refused.value.status == 422
    assert refused.value.message.startswith("line 2: features[1] (text 3 of the request) is blank")
    assert refused.value.fields == {"line": 2, "feature": 1, "text_index": 3}


def test_texts_with_something_visible_are_not_blank():
    assert not any(is_blank(text) for text in ("a", " \u200b x", "😀", "\u200b5\u200b", "…"))
