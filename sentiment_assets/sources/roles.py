"""What a landed file is for: its role decides whether its reviews may ever reach training.

- `train`: labelled reviews the model may learn from (the only role that feeds training tables,
  the feature store's splits and the tuning study);
- `score`: reviews to predict; labels optional and never used for training;
- `holdout`: labelled reviews kept back to judge the model; evaluated, never trained on.

Framework-free: the ingest asset, the dbt models (by value), scoring and evaluation share it.
"""

from __future__ import annotations

from typing import Literal

SourceRole = Literal["train", "score", "holdout"]
ROLES: tuple[str, ...] = ("train", "score", "holdout")
TRAIN, SCORE, HOLDOUT = ROLES
DEFAULT_ROLE: SourceRole = "train"
#: Roles whose rows must carry a label: a train or holdout file without one is refused by name.
LABELLED_ROLES = frozenset({TRAIN, HOLDOUT})


def check_role(role: str) -> str:
    """The role, or a ValueError naming the known ones."""
    if role not in ROLES:
        raise ValueError(f"unknown source role {role!r}; choose one of {list(ROLES)}")
    return role


def unlabelled_file_error(source_file: str, role: str) -> str | None:
    """Why a file without a label or star_rating column cannot have this role (None if it can)."""
    if role in LABELLED_ROLES:
        return (
            f"{source_file}: role {role!r} needs labels, and the file has no label or star_rating "
            f"column; land it as 'score' to predict it, or map its label column"
        )
    return None
