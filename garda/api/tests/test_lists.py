"""Paging, filters, query counts, monitoring aggregates."""

import datetime

import pytest
from django.urls import reverse

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, BELINYU, BINTET, LUMUT, SUNGAILIAT, make_user
from garda.programs.models import DistributionStatus

from .factories import (
    MAKERS,
    household,
    list_url,
    planned_distribution,
    resident,
    rollup,
    token_client,
)


@pytest.fixture
def staff(bangka):
    return token_client(make_user(Role.STAF_DINAS, BANGKA))


def test_limit_and_offset(staff) -> None:
    made = {str(household(LUMUT).pk) for _ in range(3)}
    first = staff.get(list_url("household"), {"limit": 2}).json()
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["next"] and first["previous"] is None
    rest = staff.get(list_url("household"), {"limit": 2, "offset": 2}).json()
    assert len(rest["results"]) == 1
    assert {r["id"] for r in first["results"] + rest["results"]} == made


@pytest.mark.parametrize("params", [{"limit": 201}, {"limit": 0}, {"offset": -1}, {"offset": "x"}])
def test_paging_out_of_bounds_is_400(staff, params) -> None:
    household(LUMUT)
    response = staff.get(list_url("household"), params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)


def test_region_filter(staff) -> None:
    here, there = household(LUMUT), household(SUNGAILIAT + ".1001")
    response = staff.get(list_url("household"), {"wilayah": BELINYU}).json()
    assert [r["id"] for r in response["results"]] == [str(here.pk)]
    assert str(there.pk) not in {r["id"] for r in response["results"]}
    bintet = staff.get(list_url("household"), {"wilayah": BINTET}).json()
    assert bintet["count"] == 0


@pytest.mark.parametrize(
    ("basename", "params", "field"),
    [
        ("household", {"wilayah": "19.01.x"}, "wilayah"),
        ("distribution", {"status": "bogus"}, "status"),
        ("distribution", {"distributed_from": "2026-13-01"}, "distributed_from"),
        ("resident", {"household": "not-a-uuid"}, "household"),
        ("household", {"desil": "-1"}, "desil"),
        ("rollup", {"month": "2026-1"}, "month"),
        ("programme", {"active": "maybe"}, "active"),
        ("region", {"level": "9"}, "level"),
    ],
)
def test_bad_filters_answer_400_naming_the_parameter(staff, basename, params, field) -> None:
    response = staff.get(list_url(basename), params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]
    assert body["detail"]


def test_status_and_date_filters(staff) -> None:
    planned = planned_distribution(LUMUT)
    done = planned_distribution(LUMUT)
    type(done).objects.filter(pk=done.pk).update(
        status=DistributionStatus.DELIVERED, distributed_on=datetime.date(2026, 8, 3)
    )
    by_status = staff.get(list_url("distribution"), {"status": DistributionStatus.SCHEDULED})
    assert [r["id"] for r in by_status.json()["results"]] == [str(planned.pk)]
    in_range = staff.get(
        list_url("distribution"), {"distributed_from": "2026-08-01", "distributed_to": "2026-08-31"}
    )
    assert [r["id"] for r in in_range.json()["results"]] == [str(done.pk)]
    before = staff.get(list_url("distribution"), {"distributed_to": "2026-07-31"})
    assert before.json()["count"] == 0


def test_residents_of_one_household(staff) -> None:
    person = resident(LUMUT)
    resident(LUMUT)
    response = staff.get(list_url("resident"), {"household": str(person.keluarga_id)})
    assert [r["id"] for r in response.json()["results"]] == [str(person.pk)]


@pytest.mark.parametrize("basename", sorted(MAKERS))
def test_list_queries_do_not_grow_with_rows(staff, basename, django_assert_max_num_queries) -> None:
    for _ in range(3):
        MAKERS[basename](LUMUT)
    staff.get(list_url(basename))  # warm the token's "last used" write
    with django_assert_max_num_queries(6):
        response = staff.get(list_url(basename))
    assert response.status_code == 200


def test_rollups_are_sums_per_desa_without_names(bangka) -> None:
    rollup(LUMUT, value=3)
    rollup(LUMUT, value=4)
    rollup("19.02.01.2001", value=50)
    client = token_client(make_user(Role.VIEWER, BELINYU))
    rows = client.get(list_url("rollup"), {"month": "2026-10"}).json()["results"]
    assert len(rows) == 1
    assert rows[0]["wilayah"] == LUMUT
    assert rows[0]["workers"] == 2
    assert float(rows[0]["numerator"]) == 7
    assert "pilar" not in rows[0]
    assert client.get(list_url("rollup"), {"month": "2026-09"}).json()["count"] == 0


def test_indicators_need_the_aggregate_permission(bangka) -> None:
    assert token_client(make_user(Role.PSM, LUMUT)).get(list_url("indicator")).status_code == 403
    body = token_client(make_user(Role.VIEWER, BANGKA)).get(list_url("indicator")).json()
    assert body["count"] > 0
    code = body["results"][0]["code"]
    assert (
        token_client(make_user(Role.VIEWER, BANGKA))
        .get(reverse("api:indicator-detail", args=[code]))
        .json()["code"]
        == code
    )
