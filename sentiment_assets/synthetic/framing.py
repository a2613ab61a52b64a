"""How a review starts and ends, the reviewer's size context, and its title.

Openers, closers and titles are keyed by the tone of the text (a star level 1..5 for
openers/closers, a sentiment -1/0/1 for titles). The writer borrows from the neighbouring
level part of the time, so "Not for me" shows up in 1-, 2- and 3-star texts alike.
"""

from __future__ import annotations

#: First sentences usable at any tone.
NEUTRAL_OPENERS: tuple[str, ...] = (
    "I ordered this {noun} in the {color}.",
    "I tried this {noun} on in the store.",
    "I was looking for a {noun} for {occasion}.",
    "I've been eyeing this {noun} for weeks.",
    "Ordered this {noun} online.",
    "This {noun} came in the mail yesterday.",
    "I bought this {noun} after reading the reviews.",
    "I got this {noun} in two sizes.",
)
#: First sentences by star level of the text.
OPENERS: dict[int, tuple[str, ...]] = {
    5: (
        "I love this {noun}!",
        "What a great {noun}.",
        "This {noun} is a winner.",
        "So glad I took a chance on this {noun}.",
        "This {noun} is just beautiful.",
    ),
    4: (
        "I really like this {noun}.",
        "This is a pretty {noun}.",
        "Cute {noun}.",
        "I was pleasantly surprised by this {noun}.",
    ),
    3: (
        "I wanted to love this {noun}.",
        "I have mixed feelings about this {noun}.",
        "This {noun} is fine.",
        "I'm torn on this one.",
        "This {noun} is cute, sort of.",
    ),
    2: (
        "I really wanted to love this {noun}.",
        "This {noun} did not work for me.",
        "I was so excited about this {noun}.",
        "This {noun} looked so cute online.",
    ),
    1: (
        "What a disappointment.",
        "I can't believe how bad this {noun} is.",
        "This {noun} did not work for me at all.",
        "I was so excited about this {noun}.",
    ),
}
#: Last sentences by star level of the text.
CLOSERS: dict[int, tuple[str, ...]] = {
    5: (
        "Highly recommend!",
        "I'm thinking of buying it in another color.",
        "Love it!",
        "It's my new favorite.",
        "I get compliments every time I wear it.",
        "Can't recommend it enough.",
        "Buy it, you won't regret it.",
    ),
    4: (
        "I'd still recommend it.",
        "Overall I'm happy with it.",
        "Keeping it anyway.",
        "Would buy again.",
        "Definitely worth trying on.",
        "I'll wear it a lot.",
        "Glad I kept it.",
    ),
    3: (
        "I might keep it, not sure yet.",
        "It's just okay.",
        "On the fence about keeping it.",
        "Try it on in the store if you can.",
        "I'll probably wait for a sale.",
        "Not sure it's worth the price.",
        "It's fine, nothing special.",
    ),
    2: (
        "It's going back.",
        "Sadly it's going back.",
        "I'll be returning it.",
        "Not for me.",
        "Wish it had worked out.",
        "I'm returning it.",
        "Maybe it works for someone else.",
    ),
    1: (
        "Returned it immediately.",
        "Don't waste your money.",
        "Very disappointed.",
        "Save your money.",
        "Worst purchase in a long time.",
        "It went right back.",
    ),
}

#: Size-context sentences: height, usual size and size ordered.
CONTEXT_FRAMES: tuple[str, ...] = (
    "I'm {height} and usually a {size}, ordered the {size2}.",
    "For reference I'm {height}, {weight} lbs, {bust}, and got the {size2}.",
    "I'm {height} with a {build} build and went with my usual {size}.",
    "I'm {height} and {weight} lbs, I usually wear a {size}.",
    "I'm usually a {size} in this brand and got the {size2}.",
    "I'm {height}, {bust}, and ordered a {size2}.",
    "Size {numeric} here, I got the {size2}.",
)
HEIGHTS: tuple[str, ...] = tuple(f"{f}'{i}\"" for f, r in ((4, range(10, 12)), (5, range(0, 11))) for i in r)
#: One size ladder, smallest to largest, in the three ways reviewers name a size; the
#: usual size and the size ordered are drawn on the same rung or a neighbouring one, so
#: "Size 4 here, I got the S" stays plausible.
LETTER_SIZES: tuple[str, ...] = ("XXS", "XS", "S", "M", "L", "XL")
PETITE_SIZES: tuple[str, ...] = ("XXSP", "XSP", "SP", "MP", "LP", "XLP")
NUMERIC_SIZES: tuple[tuple[str, ...], ...] = (("00",), ("0", "2"), ("4", "6"), ("8", "10"), ("12", "14"), ("16", "18"))
#: How common each rung is among reviewers.
SIZE_RUNG_WEIGHTS: tuple[float, ...] = (0.05, 0.20, 0.30, 0.25, 0.14, 0.06)
#: How far the ordered size is from the usual one (rungs).
SIZE_STEPS: tuple[int, ...] = (-1, 0, 0, 0, 1)
BUSTS: tuple[str, ...] = ("32A", "32B", "34B", "34C", "34D", "36C", "36DD", "38D", "30DD", "32C")
BUILDS: tuple[str, ...] = ("petite", "curvy", "athletic", "slim", "pear-shaped", "busty", "broad-shouldered", "average")

#: Titles by the sentiment of the text; several titles sit in two lists on purpose.
TITLES: dict[int, tuple[str, ...]] = {
    1: (
        "Love this {noun}!",
        "Beautiful {noun}",
        "Perfect {noun}",
        "So comfy",
        "Gorgeous!",
        "Great for {occasion}",
        "My new favorite",
        "Love it",
        "Cute and comfortable",
        "Flattering fit",
        "Runs large but love it",
        "Great staple",
        "Compliments galore",
        "Fits perfectly",
        "Soft and cute",
        "Beautiful color",
        "Pretty {noun}",
        "Great buy",
        "Cute!",
        "Love the {color}",
    ),
    0: (
        "Pretty but...",
        "Just okay",
        "Cute but runs small",
        "Not sure",
        "Almost",
        "Mixed feelings",
        "Meh",
        "Nice but pricey",
        "On the fence",
        "Pretty color, odd fit",
        "Could be better",
        "Runs large",
        "Cute {noun}",
        "Wanted to love it",
        "It's okay",
        "Not bad",
        "Size down",
        "Beautiful color",
    ),
    -1: (
        "Not for me",
        "Runs small",
        "Disappointed",
        "Returned",
        "Poor quality",
        "Wanted to love it",
        "Cheap fabric",
        "Huge",
        "Not as pictured",
        "Unflattering",
        "Sadly returning",
        "Too short",
        "Pretty but...",
        "So sad",
        "Runs large",
        "Itchy",
        "Not flattering",
        "Returning it",
    ),
}
#: Share of reviews with text whose Title is blank (with the blank-text rows, ~16% overall).
BLANK_TITLE_SHARE = 0.13
