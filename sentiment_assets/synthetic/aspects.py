"""Aspect clauses: what reviewers say about fit, sizing, fabric, price, ..., good and bad.

A clause is a lower-case fragment about one aspect (fit, fabric, price, ...) with a polarity;
the frames in `phrases.py` turn clauses into sentences.
Slots are filled per review: {noun} {part} {fabric} {color} {size} {occasion} {body}, and
{runs}/{resize}/{misfit} from one per-review sizing direction (so "runs small" and
"the M was huge" never meet in one review).
{part} can be singular or plural ("hem", "straps"), so clauses avoid verbs that agree with it.
Positive and negative lists share most of their words (and both contain negations:
"not flattering" is negative, "not see-through at all" positive), so no single word names a
class.
"""

from __future__ import annotations

#: Aspect -> (positive clauses, negative clauses).
ASPECT_CLAUSES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fit": (
        (
            "it fits true to size",
            "the fit is spot on",
            "the cut is really flattering",
            "it skims the body without clinging",
            "it fits perfectly through the shoulders",
            "I love the placement of the {part}",
            "it isn't boxy at all",
            "the fit is flattering even on my curvy frame",
        ),
        (
            "the fit is boxy and not flattering",
            "it was way too tight across the chest",
            "it hung on me like a sack",
            "the placement of the {part} is odd",
            "the proportions are just off",
            "it pulls across the back",
            "the cut isn't flattering at all",
            "it fits strangely through the {part}",
        ),
    ),
    "sizing": (
        (
            "I ordered my usual {size} and it was perfect",
            "my regular size worked fine",
            "the {size2} fit with just a little room",
            "sizing is consistent with my other pieces",
            "I sized {resize} to the {size2} and it fits great",
            "it doesn't run {runs} like I feared",
        ),
        (
            "I had to size {resize} twice",
            "my usual {size} was {misfit}",
            "it runs at least a full size {runs}",
            "it runs really {runs}",
            "the sizing is all over the place",
            "even the {size2} was {misfit}",
        ),
    ),
    "fabric": (
        (
            "the {fabric} is soft and substantial",
            "the {fabric} feels expensive",
            "the material has a nice weight to it",
            "the {fabric} drapes beautifully",
            "it's not see-through at all",
            "the {fabric} isn't scratchy like I expected",
            "the fabric is thicker than it looks online",
        ),
        (
            "the {fabric} feels cheap and thin",
            "the material is scratchy",
            "the {fabric} is completely see-through",
            "the fabric wrinkles if you look at it",
            "it's much thinner than it looks online",
            "the {fabric} isn't as soft as I hoped",
            "the material feels like polyester even though it says {fabric}",
        ),
    ),
    "color": (
        (
            "the {color} is gorgeous in person",
            "the color is even prettier than the picture",
            "the {color} is rich and flattering",
            "the print is so pretty",
            "the {color} goes with everything",
        ),
        (
            "the {color} looked washed out on me",
            "the color is nothing like the photo",
            "the print looks cheap in person",
            "the {color} is much duller than online",
            "the {color} isn't flattering on my skin tone",
        ),
    ),
    "length": (
        (
            "the length is perfect",
            "it hits right at the knee on me",
            "the length works even with flats",
            "I liked where the {part} hit on me",
            "it's long enough for my tall frame",
        ),
        (
            "it's way too long for me",
            "it was shorter than expected",
            "the length is awkward",
            "it hits at the widest part of my hips",
            "I didn't like where the {part} hit on me",
        ),
    ),
    "comfort": (
        (
            "it's so comfortable I could live in it",
            "it's comfy enough to wear all day",
            "it's easy to move in",
            "it doesn't wrinkle in the car",
            "it's not itchy at all",
        ),
        (
            "it's uncomfortable after an hour",
            "it's itchy around the {part}",
            "I couldn't sit comfortably in it",
            "it kept riding up all day",
            "it's not comfortable at all",
        ),
    ),
    "quality": (
        (
            "the quality is excellent",
            "the stitching is really well done",
            "it's well made and lined",
            "it held up well after several wears",
            "the details are lovely up close",
        ),
        (
            "the quality is poor for the price",
            "a seam came apart the first time I wore it",
            "there were loose threads everywhere",
            "the {part} started fraying right away",
            "the quality isn't what it used to be",
        ),
    ),
    "price": (
        (
            "it was worth every penny",
            "I got it on sale and it was a steal",
            "the price is fair for the quality",
            "it's a great value",
        ),
        (
            "it's way overpriced",
            "it's not worth the full price",
            "for this price I expected much better",
            "I wouldn't pay full price for it",
        ),
    ),
    "washing": (
        (
            "it washed beautifully",
            "it came out of the wash looking new",
            "it held its shape after washing",
            "it didn't shrink after a cold wash",
        ),
        (
            "it shrank after one wash",
            "it pilled after the first wash",
            "the color bled in the wash",
            "it lost its shape after washing",
        ),
    ),
    "style": (
        (
            "I wore it for {occasion} and got so many compliments",
            "it's perfect for {occasion}",
            "it's easy to dress up or down",
            "it looks great with boots or sandals",
            "the style is classic",
        ),
        (
            "it looked frumpy on me",
            "it's not something I could wear for {occasion}",
            "the style looks dated",
            "it made me look wider than I am",
            "it looks nothing like it does on the model",
        ),
    ),
}

#: How often each aspect comes up (fit and sizing dominate clothing reviews).
ASPECT_WEIGHTS: dict[str, float] = {
    "fit": 3.0,
    "sizing": 2.5,
    "fabric": 2.0,
    "color": 1.5,
    "length": 1.2,
    "comfort": 1.2,
    "quality": 1.2,
    "price": 0.8,
    "washing": 0.6,
    "style": 1.2,
}
#: Chance that a clause comes from the category's own praise/gripes instead of an aspect.
CATEGORY_CLAUSE_SHARE = 0.25
