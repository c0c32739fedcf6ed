"""Every convention case, in the order of the matrix on the Conventions page."""

from __future__ import annotations

from .cases_ce import REGRESSION_AND_CROSS_ENTROPY
from .cases_extra import EXTRA
from .cases_other import OTHER
from .model import Case

CASES: list[Case] = [*REGRESSION_AND_CROSS_ENTROPY, *OTHER, *EXTRA]
