"""Where tensors live: the CPU here, a GPU when one is configured or found."""

from __future__ import annotations

from typing import Literal

import dagster as dg


class ComputeResource(dg.ConfigurableResource):
    """The device training and scoring run on.

    `auto` picks CUDA when torch sees a GPU, else the CPU, so the same config works on a laptop
    and on a GPU box.
    """

    device: Literal["auto", "cpu", "cuda"] = "auto"

    def resolve_device(self) -> str:
        import torch  # imported here so loading definitions stays fast

        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        if self.device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("ComputeResource.device is 'cuda' but torch sees no GPU on this machine")
        return self.device
