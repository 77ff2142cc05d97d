import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from garda.core.nik import (
    check_nik,
    check_no_kk,
    mask_identifier,
    nik_birth_date,
    normalise_digits,
)

WOMAN_LUMUT = "1901024507900001"  # Belinyu (19.01.02), woman born 05-07-1990


class TestNik:
    def test_valid_nik_has_no_problem(self, bangka):
        check = check_nik(WOMAN_LUMUT, birth_date=datetime.date(1990, 7, 5), sex="P")
        assert (check.errors, check.warnings) == ([], [])

    @pytest.mark.parametrize(
        "nik", ["190102450790001", "19010245079000012", "19010245079O0001", ""]
    )
    def test_malformed_is_an_error(self, bangka, nik):
        assert check_nik(nik).errors

    def test_unknown_kecamatan_of_a_loaded_regency_is_an_error(self, bangka):
        check = check_nik("1901994507900001")
        assert any("19.01.99" in e for e in check.errors)

    def test_region_not_loaded_is_only_a_warning(self, bangka):
        check = check_nik("3171014507900001")  # Jakarta: not on a Bangka server
        assert check.errors == []
        assert any("31.71.01" in w for w in check.warnings)

    def test_impossible_date_is_an_error(self, bangka):
        assert check_nik("1901023102900001").errors  # 31 February

    def test_serial_zero_is_an_error(self, bangka):
        assert check_nik("1901024507900000").errors

    def test_sex_and_date_disagreements_are_warnings(self, bangka):
        check = check_nik(WOMAN_LUMUT, birth_date=datetime.date(1990, 7, 6), sex="L")
        assert check.errors == []
        assert len(check.warnings) == 2

    def test_no_kk(self, bangka):
        assert check_no_kk("1901020101200001").errors == []
        assert check_no_kk("19010201012").errors


@given(
    day=st.integers(1, 28),
    month=st.integers(1, 12),
    year=st.integers(0, 99),
    woman=st.booleans(),
)
def test_birth_date_and_sex_round_trip(day, month, year, woman):
    nik = f"190102{day + (40 if woman else 0):02d}{month:02d}{year:02d}0001"
    encoded, sex = nik_birth_date(nik)
    assert encoded is not None
    assert (encoded.day, encoded.month, encoded.year % 100) == (day, month, year)
    assert sex == ("P" if woman else "L")
    assert encoded <= datetime.date.today()  # noqa: DTZ011


def test_normalise_and_mask():
    assert normalise_digits(" 1901.0245-0790 0001 ") == WOMAN_LUMUT
    assert mask_identifier(WOMAN_LUMUT) == "1901••••••••••01"
    assert WOMAN_LUMUT[4:14] not in mask_identifier(WOMAN_LUMUT)
