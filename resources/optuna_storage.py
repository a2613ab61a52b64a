"""Where Optuna keeps its studies: the storage every tuning worker reads and writes."""

from __future__ import annotations

import dagster as dg


class OptunaStorage(dg.ConfigurableResource):
    """An Optuna RDB storage URL shared by every trial worker.

    Locally `url` is unset and the study lives in SQLite under the artifact store (worker
    processes on this machine share the file). On AWS it is a PostgreSQL/MySQL URL from the
    environment (SENTIMENT_OPTUNA_STORAGE), so trial workers on several machines or pods join
    the same study; the password travels in the URL from a secret, never from code.
    """

    url: str | None = None

    def storage_url(self, local_sqlite_path: str) -> str:
        return self.url or f"sqlite:///{local_sqlite_path}"
