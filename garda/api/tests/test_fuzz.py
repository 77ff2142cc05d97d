"""Schemathesis against the OpenAPI schema, in process through the WSGI app, with a staff
token: no 5xx, every answer documented and shaped as the schema says (schemathesis's default
checks, negative cases included). Bounded: schemathesis's coverage cases (the boundaries of
every parameter, run as explicit examples) plus two generated examples per operation and no
shrinking; about 50 s for the whole run on a loaded 2-core machine, setup included."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings

from config.wsgi import application
from garda.accounts.roles import Role
from garda.core.testing import BANGKA, LUMUT, make_user

from ..services import api_token_create
from .factories import planned_distribution, resident, rollup

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def in_test_transaction():
    """Requests run through the real WSGI handler, whose end-of-request signal closes a
    connection left outside autocommit (the test's transaction, on PostgreSQL): disconnect it
    during the run, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def staff_token(bangka, settings, in_test_transaction) -> str:
    from django.conf import settings as django_settings

    settings.REST_FRAMEWORK = {
        **django_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
    }
    resident(LUMUT)
    planned_distribution(LUMUT)
    rollup(LUMUT)
    user = make_user(Role.STAF_DINAS, BANGKA)
    _token, key = api_token_create(actor=user, user=user, name="fuzz")
    return key


@schema.parametrize()
@settings(
    max_examples=2,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case, staff_token) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {staff_token}"})
