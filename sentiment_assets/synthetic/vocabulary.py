"""Category-specific words reviewers use: what they call the item, its parts, its fabric, where
they wear it, and the praise and gripes that only make sense for that kind of garment.

Praise and gripes deliberately reuse the same nouns (hem, waist, rise, straps, ...) so that
a part name says which *category* a review is about, not which *sentiment* it has.
Clauses are lower-case fragments without a final period; templates in `phrases.py` frame them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemVocabulary:
    """Words for one Class Name.

    nouns: what a reviewer calls the item ("dress", "maxi").
    parts: construction details they comment on ("hem", "waist").
    fabrics: materials they name.
    occasions: what they wear it for ("a wedding"); templates say "for {occasion}".
    praise / gripes: category-specific positive / negative clauses.
    """

    nouns: tuple[str, ...]
    parts: tuple[str, ...]
    fabrics: tuple[str, ...]
    occasions: tuple[str, ...]
    praise: tuple[str, ...]
    gripes: tuple[str, ...]


_TOP_PARTS = ("neckline", "sleeves", "shoulders", "back", "hem", "armholes", "buttons", "collar")
_EVERYDAY = ("work", "the weekend", "running errands", "brunch", "a casual dinner", "travel")

VOCABULARY: dict[str, ItemVocabulary] = {
    "Dresses": ItemVocabulary(
        nouns=("dress", "dress", "maxi", "midi dress", "shift dress", "sundress", "wrap dress"),
        parts=("hem", "waist", "slip", "neckline", "straps", "skirt", "bodice", "zipper"),
        fabrics=("cotton", "rayon", "linen", "lace", "silk", "jersey", "chiffon", "eyelet"),
        occasions=("a wedding", "a baby shower", "work", "date night", "a garden party", "church"),
        praise=(
            "it's flowy without being shapeless",
            "the waist hits at just the right spot",
            "the slip is a nice length so it isn't see-through",
            "the skirt has such a pretty swing to it",
            "it twirls beautifully",
        ),
        gripes=(
            "the slip is shorter than the dress and shows",
            "the bodice gaps at the chest",
            "the waist hits way too high on me",
            "the zipper is hard to reach",
            "there is way too much fabric in the skirt",
        ),
    ),
    "Knits": ItemVocabulary(
        nouns=("top", "tee", "tank", "knit top", "tunic"),
        parts=_TOP_PARTS,
        fabrics=("cotton", "modal", "jersey", "slub knit", "rayon blend"),
        occasions=_EVERYDAY,
        praise=(
            "it layers nicely under a cardigan",
            "the drape of the knit is lovely",
            "it's a great basic tee",
            "the tunic length covers my rear",
        ),
        gripes=(
            "the knit is so thin you can see my bra",
            "it clings in all the wrong places",
            "the hem flips up",
            "the neckline stretched out by the end of the day",
        ),
    ),
    "Blouses": ItemVocabulary(
        nouns=("blouse", "top", "shirt", "button down", "peasant top"),
        parts=_TOP_PARTS + ("embroidery", "cuffs"),
        fabrics=("silk", "cotton", "georgette", "rayon", "voile", "linen"),
        occasions=("work", "the office", "a dinner out", "a holiday party", "brunch"),
        praise=(
            "the embroidery is so delicate",
            "it looks polished tucked into jeans",
            "the buttons are a pretty detail",
            "the sleeves have a lovely billow",
        ),
        gripes=(
            "the buttons gape across the chest",
            "the embroidery looks cheap up close",
            "the sleeves are huge and balloon out",
            "it needs a camisole underneath",
        ),
    ),
    "Sweaters": ItemVocabulary(
        nouns=("sweater", "cardigan", "pullover", "turtleneck"),
        parts=("sleeves", "cuffs", "neckline", "hem", "cable detail", "ribbing"),
        fabrics=("wool", "cashmere blend", "cotton knit", "alpaca blend", "acrylic"),
        occasions=("fall", "winter", "the holidays", "a cold office", "weekends"),
        praise=(
            "it's so cozy and warm",
            "the knit is soft and not itchy at all",
            "the cable detail is beautiful",
            "it's the perfect slouchy sweater",
        ),
        gripes=(
            "it started pilling after two wears",
            "the wool is itchy against my skin",
            "the knit snagged on my bag",
            "it's shapeless and makes me look bulky",
        ),
    ),
    "Fine gauge": ItemVocabulary(
        nouns=("sweater", "fine gauge sweater", "cardigan", "shell"),
        parts=("neckline", "sleeves", "hem", "ribbing", "buttons"),
        fabrics=("merino", "cotton", "fine knit", "silk blend"),
        occasions=("work", "layering", "spring", "the office"),
        praise=("it's lightweight enough for spring", "the fine knit layers under anything", "it's soft and not bulky"),
        gripes=("the fine knit is almost sheer", "it snagged the first day", "the ribbing at the hem is tight"),
    ),
    "Pants": ItemVocabulary(
        nouns=("pants", "trousers", "wide leg pants", "joggers", "cropped pants"),
        parts=("waistband", "rise", "inseam", "pockets", "leg opening", "seat"),
        fabrics=("linen", "crepe", "cotton twill", "ponte", "tencel"),
        occasions=("work", "travel", "the weekend", "the office", "summer"),
        praise=(
            "the wide leg is so flattering",
            "the pockets are deep enough for my phone",
            "the waistband doesn't dig in",
            "they don't bag out at the knees",
        ),
        gripes=(
            "the rise is way too low",
            "they bag out in the seat",
            "the inseam is much too long",
            "the pockets flare out at the hips",
        ),
    ),
    "Jeans": ItemVocabulary(
        nouns=("jeans", "denim", "skinny jeans", "boyfriend jeans", "high rise jeans"),
        parts=("rise", "inseam", "waistband", "pockets", "knees", "ankles"),
        fabrics=("denim", "stretch denim", "rigid denim", "cotton"),
        occasions=("everyday wear", "the weekend", "a casual dinner", "fall"),
        praise=(
            "the stretch holds up all day",
            "the high rise is really flattering",
            "the denim is a great dark wash",
            "they hold their shape without bagging",
        ),
        gripes=(
            "they stretch out after an hour",
            "the rise is too short for me",
            "the denim is stiff and uncomfortable",
            "there is a big gap at the back waist",
        ),
    ),
    "Skirts": ItemVocabulary(
        nouns=("skirt", "pencil skirt", "midi skirt", "maxi skirt", "mini skirt"),
        parts=("waistband", "hem", "lining", "pleats", "slit", "zipper"),
        fabrics=("cotton", "tulle", "leather", "linen", "crepe"),
        occasions=("work", "a wedding", "church", "date night", "spring"),
        praise=("the pleats hang beautifully", "the lining keeps it from clinging", "the skirt has a great swing"),
        gripes=("the slit is way too high", "the lining peeks out below the hem", "the pleats won't lie flat"),
    ),
    "Shorts": ItemVocabulary(
        nouns=("shorts",),
        parts=("inseam", "waistband", "pockets", "hem", "rise"),
        fabrics=("linen", "cotton", "chambray", "denim"),
        occasions=("summer", "the beach", "vacation", "the weekend"),
        praise=("the inseam is long enough to be modest", "they're perfect for hot days"),
        gripes=("the inseam is way too short", "the pockets stick out under the hem"),
    ),
    "Casual bottoms": ItemVocabulary(
        nouns=("pants", "bottoms", "joggers"),
        parts=("waistband", "drawstring", "pockets", "cuffs"),
        fabrics=("cotton", "french terry", "jersey"),
        occasions=("lounging", "the weekend", "travel"),
        praise=("the drawstring waist is so easy",),
        gripes=("the drawstring keeps coming undone",),
    ),
    "Jackets": ItemVocabulary(
        nouns=("jacket", "blazer", "denim jacket", "moto jacket"),
        parts=("sleeves", "lapels", "buttons", "zipper", "shoulders", "lining"),
        fabrics=("cotton", "suede", "faux leather", "denim", "tweed"),
        occasions=("work", "spring", "fall", "the office"),
        praise=("it layers over dresses beautifully", "the zipper is sturdy", "the blazer looks tailored"),
        gripes=(
            "the sleeves are too short to button",
            "the shoulders are boxy",
            "the zipper snags constantly",
            "the faux leather smells like chemicals",
        ),
    ),
    "Outerwear": ItemVocabulary(
        nouns=("coat", "vest", "parka", "trench", "puffer"),
        parts=("hood", "sleeves", "buttons", "collar", "lining", "pockets"),
        fabrics=("wool", "down", "cotton", "quilted nylon"),
        occasions=("winter", "fall", "the cold", "rainy days"),
        praise=("it's warm without being bulky", "the hood is a good size"),
        gripes=("it isn't warm at all", "the buttons fell off within a week", "it's far too bulky"),
    ),
    "Lounge": ItemVocabulary(
        nouns=("lounge pants", "sweatshirt", "hoodie", "lounge top", "joggers"),
        parts=("waistband", "cuffs", "hood", "drawstring", "sleeves"),
        fabrics=("french terry", "fleece", "modal", "cotton"),
        occasions=("lounging", "weekends at home", "travel", "lazy days on the couch"),
        praise=("it's the softest thing I own", "perfect for lounging around the house"),
        gripes=("the fleece pills already", "it's too nice to lounge in and too sloppy to go out"),
    ),
    "Swim": ItemVocabulary(
        nouns=("swimsuit", "bikini", "one piece", "cover up"),
        parts=("straps", "lining", "coverage", "bottoms", "top", "padding"),
        fabrics=("nylon", "lycra", "crochet", "mesh"),
        occasions=("the beach", "vacation", "the pool", "a cruise"),
        praise=(
            "the coverage is modest but still cute",
            "the straps are adjustable",
            "the lining is thick so nothing shows",
        ),
        gripes=(
            "the coverage in the back is skimpy",
            "the straps dig into my shoulders",
            "the lining bunches when it gets wet",
        ),
    ),
    "Sleep": ItemVocabulary(
        nouns=("pajamas", "nightgown", "sleep shirt", "robe"),
        parts=("waistband", "buttons", "hem", "sleeves", "straps"),
        fabrics=("cotton", "flannel", "modal", "jersey"),
        occasions=("sleeping", "lazy mornings", "travel"),
        praise=("I sleep so well in them", "the flannel is soft and warm"),
        gripes=("they shrank in the dryer", "the buttons pop open at night"),
    ),
    "Chemises": ItemVocabulary(
        nouns=("chemise", "slip", "nightie"),
        parts=("straps", "lace", "hem", "neckline"),
        fabrics=("silk", "satin", "lace"),
        occasions=("sleeping", "layering under dresses"),
        praise=("the lace trim is delicate",),
        gripes=("the straps are too long",),
    ),
    "Legwear": ItemVocabulary(
        nouns=("leggings", "tights", "socks"),
        parts=("waistband", "seams", "toes", "ankles"),
        fabrics=("nylon", "cotton", "spandex"),
        occasions=("winter", "yoga", "layering under dresses"),
        praise=("they stay up all day", "they're opaque even when I bend over"),
        gripes=("they ran the first time I wore them", "the waistband rolls down"),
    ),
    "Intimates": ItemVocabulary(
        nouns=("bra", "bralette", "camisole", "slip"),
        parts=("straps", "band", "cups", "lace", "hooks"),
        fabrics=("lace", "microfiber", "silk", "cotton"),
        occasions=("everyday wear", "layering under sheer tops", "layering under dresses"),
        praise=("the lace is pretty and doesn't itch", "the band is supportive"),
        gripes=("the cups gap", "the straps slip off my shoulders"),
    ),
    "Layering": ItemVocabulary(
        nouns=("cami", "layering tank", "slip", "bodysuit"),
        parts=("straps", "neckline", "hem", "length"),
        fabrics=("modal", "cotton", "stretch knit"),
        occasions=("layering", "layering under sweaters", "layering under sheer tops"),
        praise=("it's long enough to tuck in", "it's a great layering piece"),
        gripes=("it rides up under everything", "the straps are too thin"),
    ),
    "Trend": ItemVocabulary(
        nouns=("top", "jumpsuit", "romper", "piece", "tunic"),
        parts=("neckline", "sleeves", "waist", "legs", "ruffles", "hem"),
        fabrics=("cotton", "crepe", "velvet", "polyester"),
        occasions=("a festival", "a party", "date night", "a night out"),
        praise=("it's a fun statement piece", "the ruffles are playful"),
        gripes=("the design is odd in person", "it looks like a costume on me", "the ruffles add bulk"),
    ),
}

#: For rows whose Class Name is blank: a reviewer still talks about *some* garment.
GENERIC = ItemVocabulary(
    nouns=("top", "piece", "item", "dress"),
    parts=("hem", "neckline", "waist", "sleeves"),
    fabrics=("cotton", "rayon", "knit"),
    occasions=("work", "the weekend", "summer"),
    praise=("it's a versatile piece",),
    gripes=("it just looks cheap",),
)


def vocabulary_for(class_name: str | None) -> ItemVocabulary:
    """The vocabulary of a Class Name; the generic one for a blank or unknown category."""
    if class_name is None:
        return GENERIC
    return VOCABULARY.get(class_name, GENERIC)
