"""Claims are checks: a lesson that states a result of a run proves it on that run.

Every sentence of a lesson that states a result ("the non-saturating run covers
at least 7 of the 8 modes", "the adversarial fill is sharper than the L1 fill")
is followed by a cell that measures it and calls :func:`claim`::

    claim("the non-saturating run covers at least 7 of the 8 ring modes",
          scores["modes_covered"] >= 7,
          measured=f"{scores['modes_covered']}/8 modes, {scores['high_quality']:.1%} high quality")

which prints ``✓ <claim> (measured …)`` when it holds and raises
:class:`ClaimError` when it does not, so a lesson whose run contradicts its text
fails its notebook test instead of teaching the opposite of what it shows.

Lesson: every lesson (this is the course's rule, stated in ``00_tour.ipynb``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ClaimError", "claim"]


class ClaimError(AssertionError):
    """A lesson stated a result that its own run does not show."""


def claim(statement: str, holds, measured: str) -> str:
    """Print ``✓ statement (measured …)`` if ``holds``; raise :class:`ClaimError` otherwise.

    Args:
        statement: the sentence of the lesson, as the reader reads it.
        holds: the measured truth of the statement: a ``bool`` (a NumPy bool or a
            one-element boolean tensor are accepted), the result of an explicit
            comparison such as ``psnr_gan < psnr_l1``.
        measured: the numbers behind the verdict, shown either way.

    Returns the printed line.
    """
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError(f"statement must be a non-empty str, got {statement!r}")
    if not isinstance(measured, str) or not measured.strip():
        raise ValueError(f"measured must be a non-empty str saying what was measured, got {measured!r}")
    if hasattr(holds, "numel") and hasattr(holds, "dtype"):  # a torch tensor
        if holds.numel() != 1 or str(holds.dtype) != "torch.bool":
            raise TypeError(f"holds must be a bool, got a tensor of shape {tuple(holds.shape)} and dtype {holds.dtype}")
        holds = bool(holds.item())
    if not isinstance(holds, (bool, np.bool_)):
        raise TypeError(f"holds must be a bool (the result of a comparison), got {type(holds).__name__}: {holds!r}")
    if not holds:
        raise ClaimError(f"✗ {statement} — NOT shown by this run (measured {measured})")
    line = f"✓ {statement} (measured {measured})"
    print(line)
    return line
