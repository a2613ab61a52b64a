"""Writing one review's text and title from its category and the tone it should have.

The tone is a star level 1..5 ("text stars"). It sets the mix of sentence kinds: praise,
complaint, praise-but-complaint, complaint-but-praise, and hedging. Every level uses every
kind, only in different proportions, so the classes overlap the way real reviews do.
Uses Python's `random.Random` (fast scalar draws, stable across platforms for a given seed).
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from itertools import accumulate
from typing import TypeVar

from . import aspects, framing, phrases
from .vocabulary import ItemVocabulary, vocabulary_for

T = TypeVar("T")

#: Real reviews were capped at 500 characters, which caps them near 122 words.
MAX_WORDS = 122

_KINDS = ("pos", "neg", "pos_neg", "neg_pos", "hedge")
#: Chance of each sentence kind (in _KINDS order) by the text's star level.
SENTENCE_MIX: dict[int, tuple[float, ...]] = {
    5: (0.72, 0.05, 0.05, 0.12, 0.06),
    4: (0.50, 0.13, 0.10, 0.15, 0.12),
    3: (0.22, 0.22, 0.18, 0.14, 0.24),
    2: (0.12, 0.50, 0.18, 0.07, 0.13),
    1: (0.05, 0.72, 0.12, 0.05, 0.06),
}
OPENER_CHANCE = 0.55
#: Share of openers that carry no opinion ("I ordered this dress in the navy.").
NEUTRAL_OPENER_SHARE = 0.4
CONTEXT_CHANCE = 0.45
CLOSER_CHANCE = 0.7
#: Chance that a body sentence is opinion-free filler.
FILLER_CHANCE = 0.12
#: Chance that an opener/closer is borrowed from a neighbouring star level.
NEIGHBOUR_SHARE = 0.3
#: Share of reviewers who write until the box is (nearly) full.
LONG_REVIEW_SHARE = 0.3

#: Slots filled from the category's vocabulary (slot -> ItemVocabulary field).
_VOCAB_SLOTS = {"part": "parts", "fabric": "fabrics", "occasion": "occasions"}
#: Slots filled from shared word lists.
_SHARED_SLOTS: dict[str, Sequence[str]] = {
    "color": phrases.COLORS,
    "pairing": phrases.PAIRINGS,
    "height": framing.HEIGHTS,
    "bust": framing.BUSTS,
    "build": framing.BUILDS,
}

#: Words that follow the review's sizing direction: (if it runs small, if it runs large).
_SIZING_WORDS: dict[str, tuple[str, str]] = {
    "resize": ("up", "down"),
    "misfit": ("snug everywhere", "huge on me"),
}


class _Slots(dict):
    """Template slot values for one review, drawn lazily the first time a template asks.

    Also remembers which templates the review already used, so it doesn't repeat itself.
    """

    def __init__(self, writer: ReviewWriter, vocab: ItemVocabulary, petite: bool) -> None:
        super().__init__()
        self.writer, self.vocab, self.petite = writer, vocab, petite
        self.used: set[str] = set()

    def __missing__(self, key: str) -> str:
        value = self.writer._slot(key, self)
        if key != "part":  # a review talks about several parts; everything else stays fixed
            self[key] = value
        return value


class ReviewWriter:
    """A seeded writer of review texts and titles; the same seed gives the same sequence."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        # random() is one C call; choice()/randint() are several Python frames each, and the
        # writer makes ~20 draws per review, so everything goes through random().
        self._random = self._rng.random
        self._mix = {k: list(accumulate(v)) for k, v in SENTENCE_MIX.items()}
        words, weights = zip(*aspects.ASPECT_WEIGHTS.items(), strict=False)
        self._aspects: tuple[str, ...] = words
        self._aspect_cum = list(accumulate(weights))
        self._rung_cum = list(accumulate(framing.SIZE_RUNG_WEIGHTS))

    # -- public -------------------------------------------------------------------------
    def review(self, class_name: str | None, petite: bool, stars: int) -> str:
        """A review text about an item of `class_name` written in the tone of `stars` (1..5).

        `petite` makes size context use petite sizes (General Petite division).
        """
        rand = self._random
        slots = _Slots(self, vocabulary_for(class_name), petite)
        head: list[str] = []
        if rand() < OPENER_CHANCE:
            neutral = rand() < NEUTRAL_OPENER_SHARE
            pool = framing.NEUTRAL_OPENERS if neutral else framing.OPENERS[self._near(stars)]
            head.append(self._pick(pool).format_map(slots))
        if rand() < CONTEXT_CHANCE:
            head.append(self._pick(framing.CONTEXT_FRAMES).format_map(slots))
        closer = ""
        if rand() < CLOSER_CHANCE:
            closer = self._pick(framing.CLOSERS[self._near(stars)]).format_map(slots)
        count = sum(_words(s) for s in head) + _words(closer)
        target = self._target_words()
        body: list[str] = []
        while not body or count < target:
            sentence = self._body_sentence(stars, slots)
            n = _words(sentence)
            if count + n > MAX_WORDS:
                if body:
                    break
                continue  # the first opinion sentence must fit; draw a shorter one
            body.append(sentence)
            count += n
        return " ".join(head + body + ([closer] if closer else []))

    def title(self, class_name: str | None, sentiment: int) -> str:
        """A short title matching a text of `sentiment` (-1/0/1)."""
        slots = _Slots(self, vocabulary_for(class_name), False)
        return self._pick(framing.TITLES[sentiment]).format_map(slots)

    # -- pieces ---------------------------------------------------------------------------
    def _pick(self, seq: Sequence[T]) -> T:
        """A uniformly random element (faster than random.choice)."""
        return seq[int(self._random() * len(seq))]

    def _target_words(self) -> int:
        """How many words this reviewer means to write (right-skewed, some fill the box)."""
        rand = self._random
        if rand() < LONG_REVIEW_SHARE:
            return 80 + int(rand() * (MAX_WORDS - 84))
        return int(4 + self._rng.gammavariate(2.0, 18.0))

    def _near(self, stars: int) -> int:
        """`stars`, or part of the time a neighbouring star level (shared phrasing)."""
        rand = self._random
        if rand() >= NEIGHBOUR_SHARE:
            return stars
        return min(5, max(1, stars + (1 if rand() < 0.5 else -1)))

    def _body_sentence(self, stars: int, slots: _Slots) -> str:
        """One sentence of the review's body: filler, or an opinion in the tone of `stars`."""
        rand, pick = self._random, self._pick
        if rand() < FILLER_CHANCE:
            template = pick(phrases.FILLER)
            if template not in slots.used:
                slots.used.add(template)
                return template.format_map(slots)
        mix = self._mix[stars]
        kind = _KINDS[bisect(mix, rand() * mix[-1])]
        if kind == "pos":
            return _sentence(pick(phrases.PLAIN_FRAMES).format(c=self._clause(True, slots)))
        if kind == "neg":
            return _sentence(pick(phrases.PLAIN_FRAMES).format(c=self._clause(False, slots)))
        p, n = self._clause(True, slots), self._clause(False, slots)
        if kind == "pos_neg":
            frame = pick(phrases.POS_THEN_NEG_FRAMES)
        elif kind == "neg_pos":
            frame = pick(phrases.NEG_THEN_POS_FRAMES)
        else:
            frame = pick(phrases.HEDGE_FRAMES)
        c = p if rand() < 0.5 else n
        return _sentence(frame.format(c=c, p=p, n=n, body=pick(phrases.BODY_TYPES)))

    def _clause(self, positive: bool, slots: _Slots) -> str:
        """One filled clause of the given polarity, about an aspect or the category itself."""
        rand, vocab = self._random, slots.vocab
        for _ in range(4):  # redraw a few times rather than repeat a clause in one review
            if rand() < aspects.CATEGORY_CLAUSE_SHARE:
                pool: Sequence[str] = vocab.praise if positive else vocab.gripes
            else:
                aspect = self._aspects[bisect(self._aspect_cum, rand() * self._aspect_cum[-1])]
                pool = aspects.ASPECT_CLAUSES[aspect][0 if positive else 1]
            template = self._pick(pool)
            if template not in slots.used:
                break
        slots.used.add(template)
        return template.format_map(slots)

    def _slot(self, key: str, slots: _Slots) -> str:
        """Draw one slot value; unknown keys are a template bug and raise KeyError."""
        if key in _VOCAB_SLOTS:
            return self._pick(getattr(slots.vocab, _VOCAB_SLOTS[key]))
        if key == "height" and slots.petite:  # petite shoppers are 5'4" and under
            return self._pick(framing.HEIGHTS[: framing.HEIGHTS.index("5'4\"") + 1])
        if key in _SHARED_SLOTS:
            return self._pick(_SHARED_SLOTS[key])
        if key == "noun":
            noun = self._pick(slots.vocab.nouns)
            # "this jeans" reads wrong; reviewers say "this pair of jeans".
            return f"pair of {noun}" if noun.endswith("s") and not noun.endswith("ss") else noun
        if key == "rung":  # the reviewer's usual size, as an index into the size ladder
            return str(bisect(self._rung_cum, self._random() * self._rung_cum[-1]))
        if key in ("size", "size2", "numeric"):
            return self._size(key, int(slots["rung"]), slots.petite)
        if key == "weight":  # pounds, loosely following the size rung
            return str(100 + 14 * int(slots["rung"]) + int(self._random() * 30))
        if key == "runs":  # which way this reviewer found the sizing off
            return "small" if self._random() < 0.55 else "large"
        if key in _SIZING_WORDS:
            return _SIZING_WORDS[key][slots["runs"] == "large"]
        raise KeyError(key)

    def _size(self, key: str, rung: int, petite: bool) -> str:
        """A size on the reviewer's rung: usual ("size"/"numeric") or ordered ("size2")."""
        rand = self._random
        if key == "numeric":
            return self._pick(framing.NUMERIC_SIZES[rung])
        if key == "size2":  # the size ordered: the usual one or a neighbour
            rung = min(len(framing.LETTER_SIZES) - 1, max(0, rung + self._pick(framing.SIZE_STEPS)))
            return (framing.PETITE_SIZES if petite else framing.LETTER_SIZES)[rung]
        if petite and rand() < 0.6:
            return framing.PETITE_SIZES[rung]
        if rand() < 0.3:
            return self._pick(framing.NUMERIC_SIZES[rung])
        return framing.LETTER_SIZES[rung]


def _words(text: str) -> int:
    """Whitespace-separated words, the measure the course reports (mean 62.7, max 122).

    Templates use single spaces, so counting spaces equals len(text.split()) and is faster.
    """
    return text.count(" ") + 1 if text else 0


def _sentence(text: str) -> str:
    """Capitalise the first letter; clauses are stored lower-case."""
    return text[:1].upper() + text[1:]
