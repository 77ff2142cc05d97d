"""Fixtures shared by the monitoring tests."""

import pytest

from garda.core.testing import LUMUT

from .. import rollups
from . import factories as f
from .factories import MONTH, at


@pytest.fixture
def scored(bangka):
    """Two PSMs of Belinyu with rollups of September: A reported twice, B nothing."""
    a, user_a = f.psm(LUMUT)
    b, user_b = f.psm("19.01.02.2008")
    f.report(user_a, LUMUT, occurred=at(3), submitted=at(3))
    f.report(user_a, LUMUT, occurred=at(4), submitted=at(4))
    f.target("kegiatan_lapangan", 4)
    f.target("kunjungan_rumah", 2)
    rollups.rollup_refresh(MONTH)
    return {"a": a, "b": b, "user_a": user_a, "user_b": user_b}
