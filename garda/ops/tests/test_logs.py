"""Logs: one JSON object per line on a server, with the request id, the user's id (never the
name) and the path without its query string; readable text on a laptop."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from garda.accounts.roles import Role
from garda.core.redaction import PersonalDataFilter
from garda.core.testing import BANGKA, client_for, make_user
from garda.ops.logs import (
    ACCESS_LOGGER,
    JsonFormatter,
    RequestFilter,
    TextFormatter,
    logging_config,
    request_bound,
)


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the production handler writes, for every logger, while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestFilter())
    handler.addFilter(PersonalDataFilter())  # the handler's filters in logging_config()
    root, access = logging.getLogger(), logging.getLogger(ACCESS_LOGGER)
    level = access.level
    root.addHandler(handler)
    access.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    access.setLevel(level)


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.django_db
def test_access_line_names_the_request_and_the_user_by_id(district, json_lines):
    user = make_user(Role.STAF_DINAS, BANGKA, username="siti.rahma")
    response = client_for(user).get(reverse("core:home") + "?q=Siti+Rahma")
    assert response.status_code == 200

    [line] = [r for r in records(json_lines) if r["logger"] == ACCESS_LOGGER]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == str(user.pk)
    assert (line["method"], line["path"], line["status"]) == ("GET", "/", 200)
    assert line["duration_ms"] >= 0 and line["level"] == "INFO"
    assert line["time"].endswith("+00:00")
    written = json_lines.getvalue()
    assert "siti" not in written.lower() and "q=" not in written


@pytest.mark.django_db
def test_records_inside_a_request_carry_its_path_and_the_user_once_loaded(district, json_lines):
    user = make_user(Role.STAF_DINAS, BANGKA)
    request = RequestFactory().get("/kasus/?nik=1901020101900001")
    request.user = SimpleLazyObject(lambda: user)  # type: ignore[assignment]  # as Django sets it
    logger = logging.getLogger("garda.cases")
    with request_bound(request):
        logger.warning("before")  # the user is not loaded: the log does not load it
        assert request.user.is_authenticated
        logger.warning("after")
    logger.warning("outside")
    before, after, outside = records(json_lines)
    assert (before["path"], before["method"]) == ("/kasus/", "GET")
    assert "user_id" not in before and after["user_id"] == str(user.pk)
    assert set(outside) == {"time", "level", "logger", "message"}
    assert "1901020101900001" not in json_lines.getvalue()


def test_an_exception_is_one_line_with_its_traceback_masked(json_lines):
    try:
        raise ValueError("no household 1901022007090001")
    except ValueError:
        logging.getLogger("garda.test").exception("failed")
    [line] = records(json_lines)
    assert line["level"] == "ERROR" and "ValueError: no household [hidden]" in line["exception"]
    assert "1901022007090001" not in json_lines.getvalue()


def test_text_for_people_and_a_clear_error_for_an_unknown_format():
    config = logging_config(log_format="text", level="INFO")
    assert config["handlers"]["console"]["formatter"] == "text"
    assert config["handlers"]["console"]["filters"] == ["request", "personal_data"]
    assert config["loggers"][ACCESS_LOGGER]["level"] == "WARNING"  # runserver prints its own
    record = logging.LogRecord("garda.x", logging.INFO, __file__, 1, "hello", None, None)
    record.request_id = "0123456789abcdef"
    assert TextFormatter().format(record).endswith("INFO garda.x [01234567]: hello")
    with pytest.raises(RuntimeError, match="GARDA_LOG_FORMAT"):
        logging_config(log_format="xml", level="INFO")
