"""The composite score: achievement per indicator, the weighted mean, and which target applies."""

import datetime
from decimal import Decimal

from garda.core.testing import BELINYU, LUMUT

from ..rollups import Targets, achievement, composite
from . import factories as f
from .factories import MONTH

D = Decimal


def test_achievement_is_capped_and_inverted_when_lower_is_better():
    assert achievement(D(3), D(4), "higher") == D("0.75")
    assert achievement(D(9), D(4), "higher") == 1
    assert achievement(D(0), D(0), "higher") == 1
    assert achievement(D(48), D(24), "lower") == D("0.5")
    assert achievement(D(12), D(24), "lower") == 1
    assert achievement(None, D(24), "lower") is None  # no cases: does not count
    assert achievement(D(5), None, "higher") is None  # no target: does not count


def test_composite_is_the_weighted_mean_of_what_counts():
    # (0.5 x 2 + 1 x 1) / 3 = 66.7; the item without a target and the weight 0 are left out
    score, weight = composite(
        [
            (D(2), D(4), "higher", 2),
            (D(10), D(24), "lower", 1),
            (D(7), None, "higher", 5),
            (D(0), D(4), "higher", 0),
        ]
    )
    assert (score, weight) == (D("66.7"), 3)
    assert composite([(None, D(1), "lower", 1)]) == (None, 0)


def test_the_most_specific_target_applies(bangka):
    f.target("kegiatan_lapangan", 24, month=0)  # yearly, everyone: 2 a month
    f.target("kegiatan_lapangan", 6, month=0, wilayah=BELINYU)  # yearly, Belinyu
    f.target("kegiatan_lapangan", 3, wilayah=LUMUT)  # September, Lumut
    f.target("laporan_tepat_waktu", 90, month=0)  # a share: the same each month
    indicators = [f.indicator("kegiatan_lapangan"), f.indicator("laporan_tepat_waktu")]
    targets = Targets(MONTH, indicators)
    count, share = (i.pk for i in indicators)
    assert targets.for_cell(count, LUMUT) == D(3)
    assert targets.for_cell(count, "19.01.02.2008") == D("0.50")
    assert targets.for_cell(count, "19.01.01.1001") == D("2.00")
    assert targets.for_cell(share, LUMUT) == D(90)
    assert Targets(datetime.date(2027, 1, 1), indicators).for_cell(count, LUMUT) is None
