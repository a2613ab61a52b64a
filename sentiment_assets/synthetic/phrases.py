"""The sentence frames that turn aspect clauses into review sentences, and the filler around them.

The clauses themselves are in `aspects.py` (and the category's own in `vocabulary.py`); frames
mix polarities ("the color is gorgeous but ...") the way real reviews do. Placeholders: {c} a
clause of either polarity, {p} a positive one, {n} a negative one, {body} a body type; fillers
use the per-review slots ({pairing}, {color}, {occasion}, {part}).
"""

from __future__ import annotations

#: One clause framed on its own; used for both polarities ({c} is the clause).
PLAIN_FRAMES: tuple[str, ...] = (
    "{c}.",
    "{c}.",
    "{c}.",
    "{c}.",
    "Honestly, {c}.",
    "I have to say {c}.",
    "I noticed {c}.",
    "{c}!",
    "Also, {c}.",
    "Overall {c}.",
    "I think {c}.",
    "To be honest {c}.",
)
#: Positive clause first, then the negative that outweighs it (reads net negative).
POS_THEN_NEG_FRAMES: tuple[str, ...] = (
    "{p} but {n}.",
    "Although {p}, {n}.",
    "{p}, however {n}.",
    "I liked that {p}, but {n}.",
    "Sure, {p}, but {n}.",
    "{p}, but unfortunately {n}.",
)
#: Negative clause first, then the positive that wins (reads net positive).
NEG_THEN_POS_FRAMES: tuple[str, ...] = (
    "{n}, but {p}.",
    "Even though {n}, {p}.",
    "My only complaint is that {n}.",
    "{n}, but honestly {p}.",
    "The only downside is that {n}.",
    "I thought {n} at first, but {p}.",
)
#: Hedging frames of neutral reviews; {c} is a clause of either polarity.
HEDGE_FRAMES: tuple[str, ...] = (
    "I'm on the fence because {n}.",
    "It's okay, {p} but {n}.",
    "Not sure how I feel, {c}.",
    "I guess {c}.",
    "It might work for someone {body}.",
    "I wouldn't say it's bad, {n} though.",
    "It's fine I guess, {c}.",
    "I'm torn, {p} but {n}.",
    "I can't decide, {c}.",
    "It's not bad, just not great.",
    "Part of me likes it, {c}.",
)
#: Who a not-quite-right garment might suit better (fills {body}).
BODY_TYPES: tuple[str, ...] = (
    "taller",
    "shorter",
    "with a smaller chest",
    "with narrower hips",
    "more petite",
    "with a longer torso",
    "curvier than me",
    "with broader shoulders",
    "slimmer",
)
#: Neutral sentences with no opinion in them: the realistic filler of real reviews.
FILLER: tuple[str, ...] = (
    "I paired it with {pairing}.",
    "It arrived quickly.",
    "I've washed it once so far.",
    "The model in the photo is wearing it with {pairing}.",
    "I bought it in the {color}.",
    "I usually shop in the petite section.",
    "I tried it on with {pairing}.",
    "My sister has the same one.",
    "I wore it for {occasion} last week.",
    "I ordered it online since my store didn't carry it.",
    "It comes in three colors.",
    "There's a detail on the {part} I didn't notice online.",
    "I picked it up on sale.",
)
PAIRINGS: tuple[str, ...] = (
    "white jeans",
    "leggings",
    "a denim jacket",
    "ankle boots",
    "sandals",
    "a cardigan",
    "black tights",
    "sneakers",
    "a long necklace",
    "heels",
    "skinny jeans",
    "a belt",
)
COLORS: tuple[str, ...] = (
    "black",
    "navy",
    "ivory",
    "red",
    "blue",
    "green",
    "grey",
    "pink",
    "coral",
    "mustard",
    "olive",
    "white",
    "burgundy",
    "motif",
    "cream",
    "teal",
    "rust",
    "lavender",
    "floral print",
)
