"""Review text normalisation: entities, wrapping quotes, invisible characters, NFC, whitespace."""

import random
import subprocess
import sys

import pandas as pd
import pytest

from sentiment_assets.features.text_normalisation import normalise_review_text, normalise_review_texts

CASES = [
    # (as read, normalised)
    ("It&#039;s great", "It's great"),
    ("I don&rsquo;t like it", "I don\u2019t like it"),
    ("&amp;quot;one level&amp;quot;", "&quot;one level&quot;"),
    ("Fish &amp; chips", "Fish & chips"),
    ("AT&T and I&notice and R&D", "AT&T and I&notice and R&D"),  # not entities: kept
    ('"It has no side effect, I take it..."', "It has no side effect, I take it..."),
    ("\u201cSoft and warm\u201d", "Soft and warm"),
    ('"Soft" and "warm"', '"Soft" and "warm"'),  # two quoted words, not one wrapping pair
    ('"She said "wow" to me"', '"She said "wow" to me"'),  # a further quote inside: not unwrapped
    ('"unbalanced', '"unbalanced'),
    ("&quot;Entity-encoded wrap&quot;", "Entity-encoded wrap"),
    ('  "  padded inside  "\n', "padded inside"),
    ('\u200b"wrapped after an invisible start"', "wrapped after an invisible start"),
    ("gr\u200beat\u200c fi\u200dt\u2060 \ufeffsoft\u00adly", "great fit softly"),
    ("cafe\u0301", "caf\u00e9"),  # NFC: e + combining accent is one code point
    ("cafe&#769;", "caf\u00e9"),  # ... also when the accent came from an entity
    ("  line one\n\nline\ttwo\u00a0\u00a0three  ", "line one line two three"),
    ("no&nbsp;break&nbsp;&nbsp;space", "no break space"),
    ("tight\u2003em\u2028line", "tight em line"),
    ("&nbsp;", ""),
    ("\u200b", ""),
    ("", ""),
    ("Plain ASCII stays as it is.", "Plain ASCII stays as it is."),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_one_review_text_is_normalised(raw, expected):
    assert normalise_review_text(raw) == expected


def test_the_vectorised_form_gives_the_same_texts_and_keeps_nulls_index_and_dtype():
    raw = [c[0] for c in CASES]
    for dtype in (object, "string"):
        values = pd.Series([*raw, None], index=range(100, 101 + len(raw)), dtype=dtype)
        out = normalise_review_texts(values)
        assert out.index.equals(values.index) and out.dtype == values.dtype
        assert out.iloc[:-1].tolist() == [c[1] for c in CASES]
        assert pd.isna(out.iloc[-1])


def test_the_input_series_is_not_changed():
    values = pd.Series(["It&#039;s  fine", None, "\u200bok"], dtype="string")
    before = values.copy()
    normalise_review_texts(values)
    pd.testing.assert_series_equal(values, before)


def test_all_null_and_empty_series_come_back_as_they_are():
    assert normalise_review_texts(pd.Series([None, None], dtype="string")).isna().all()
    empty = normalise_review_texts(pd.Series([], dtype="string"))
    assert empty.empty and str(empty.dtype) == "string"


def test_the_module_imports_without_dagster():
    # A pure module: serving and training can use it without the orchestration stack.
    code = (
        "import sys; import sentiment_assets.features.text_normalisation; "
        "assert 'dagster' not in sys.modules, sorted(m for m in sys.modules if 'dagster' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_vectorised_form_agrees_with_the_one_text_form_on_random_messy_texts():
    # The vectorised form skips each step for values it cannot change; that must never change a result.
    pieces = [
        "a",
        "Z",
        " ",
        "  ",
        "\n",
        "\t",
        "\u00a0",
        "\u2003",
        '"',
        "\u201c",
        "\u201d",
        "&amp;",
        "&#039;",
        "&nbsp;",
        "&quot;",
        "&",
        "&not",
        "\u200b",
        "\u00ad",
        "\ufeff",
        "e\u0301",
        "\u00e9",
        "x;",
        "#",
    ]
    rng = random.Random(20261127)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(3000)]
    texts += ['"' + t + '"' for t in texts[:500]] + ["\u201c" + t + "\u201d" for t in texts[500:1000]]
    vectorised = normalise_review_texts(pd.Series(texts, dtype="string")).tolist()
    assert vectorised == [normalise_review_text(t) for t in texts]
    assert sum(v != t for v, t in zip(vectorised, texts, strict=False)) > 2500  # the texts really were messy
