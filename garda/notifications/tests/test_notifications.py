"""Notifications: in-app rows and email on commit, the list with its unread count, opening and
marking read, and that nobody reaches someone else's."""

from typing import Any

import pytest
from django.core import mail
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from garda.accounts.roles import Role
from garda.core.testing import BANGKA, LUMUT, ScopedViewContract, client_for, make_user

from ..models import Kind, Notification
from ..services import notify, unread_count

pytestmark = pytest.mark.usefixtures("bangka")


def test_notify_writes_the_row_and_emails_on_commit(django_capture_on_commit_callbacks):
    user = make_user(Role.PSM, LUMUT, email="siti@example.org")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notice = notify(user, kind=Kind.ASSIGNED, text="Kasus baru", link="/kasus/x/")
        assert mail.outbox == []  # nothing leaves before the commit
    assert notice is not None
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["siti@example.org"]]
    assert "Kasus baru" in mail.outbox[0].subject
    assert "/kasus/x/" in mail.outbox[0].body


def test_a_key_makes_a_repeated_notice_a_no_op_and_inactive_users_get_nothing():
    user = make_user(Role.PSM, LUMUT)
    assert notify(user, text="Terlambat", key="overdue:1:2026-03-01") is not None
    assert notify(user, text="Terlambat", key="overdue:1:2026-03-01") is None
    assert notify(user, text="Terlambat", key="overdue:1:2026-03-02") is not None
    user.is_active = False
    assert notify(user, text="x") is None
    assert Notification.objects.count() == 2


def test_no_email_without_an_address(django_capture_on_commit_callbacks):
    user = make_user(Role.PSM, LUMUT)
    with django_capture_on_commit_callbacks(execute=True):
        notify(user, text="x")
    assert mail.outbox == []


class TestContract(ScopedViewContract):
    """Everyone with a role sees their own notifications; someone else's answer 404."""

    allowed = (Role.PSM, LUMUT)
    wrong_role = (None, LUMUT)
    own_area = "own"
    other_area = "other"
    method = "post"
    ok_status = 302
    owner: Any = None

    @pytest.fixture
    def allowed_user(self, bangka):
        self.owner = make_user(*self.allowed)
        return self.owner

    def make_object(self, code: str) -> Notification:
        if code == "own" and self.owner is not None:
            user = self.owner
        else:
            user = make_user(Role.PSM, LUMUT)
        return Notification.objects.create(user=user, text="Halo", link="/kasus/")

    def url_for(self, obj: Notification) -> str:
        return reverse("notifications:open", args=[obj.pk])


def test_the_list_shows_only_mine_with_the_unread_count():
    me, other = make_user(Role.PSM, LUMUT), make_user(Role.PSM, LUMUT)
    notify(me, text="Untuk saya")
    notify(me, text="Juga untuk saya")
    notify(other, text="Untuk orang lain")
    page = client_for(me).get(reverse("notifications:list"))
    body = page.content.decode()
    assert "Untuk saya" in body
    assert "Untuk orang lain" not in body
    assert page.context["unread"] == 2
    assert client_for(make_user(None, BANGKA)).get(reverse("notifications:list")).status_code == 403


def test_opening_marks_read_and_follows_only_local_links():
    me = make_user(Role.PSM, LUMUT)
    local = notify(me, text="a", link="/kasus/")
    remote = notify(me, text="b", link="https://evil.example/")
    assert local is not None and remote is not None
    client = client_for(me)
    response = client.post(reverse("notifications:open", args=[local.pk]))
    assert response["Location"] == "/kasus/"
    response = client.post(reverse("notifications:open", args=[remote.pk]))
    assert response["Location"] == reverse("notifications:list")
    assert unread_count(me) == 0


def test_mark_all_read_and_the_template_tag():
    me = make_user(Role.PSM, LUMUT)
    notify(me, text="a")
    notify(me, text="b")
    request = RequestFactory().get("/")
    request.user = me
    template = Template("{% load notifications %}{% unread_notifications as n %}[{{ n }}]")
    assert template.render(Context({"request": request})) == "[2]"
    client_for(me).post(reverse("notifications:read_all"))
    assert template.render(Context({"request": request})) == "[0]"


def test_the_list_query_count_does_not_grow(django_assert_max_num_queries):
    me = make_user(Role.PSM, LUMUT)
    for index in range(10):
        notify(me, text=f"Kasus {index}")
    client = client_for(me)
    client.get(reverse("notifications:list"))
    with django_assert_max_num_queries(10):
        page = client.get(reverse("notifications:list"))
    assert len(page.context["object_list"]) == 10
