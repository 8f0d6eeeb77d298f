"""Issue #10: the Admin role manages people without granting powers; people get invitations."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from strategy import tasks
from strategy.roles import ADMIN, EXECUTIVE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
USERS = "/admin/auth/user/"


@pytest.fixture
def staff(login, admin_user):
    return login(admin_user)


def change_data(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
    }
    return data | changes


def test_the_admins_user_page_offers_no_powers_and_no_password_form(staff, member):
    response = staff.get(f"{USERS}{member.pk}/change/")

    form = response.context["adminform"].form
    assert {"is_superuser", "is_staff", "user_permissions", "password"}.isdisjoint(form.fields)
    offered = set(form.fields["groups"].queryset.values_list("name", flat=True))
    assert offered.isdisjoint({EXECUTIVE, ADMIN})
    assert staff.get(f"{USERS}{member.pk}/password/").status_code == 403


def test_a_superuser_keeps_django_s_user_page(client, member):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    form = client.get(f"{USERS}{member.pk}/change/").context["adminform"].form

    assert {"is_superuser", "is_staff", "groups", "password"} <= set(form.fields)
    assert client.get(f"{USERS}{member.pk}/password/").status_code == 200


def test_an_admin_changes_an_ordinary_persons_details(staff, member):
    response = staff.post(f"{USERS}{member.pk}/change/", change_data(member, last_name="Moreau"))

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.last_name == "Moreau"


@pytest.mark.parametrize(
    "power",
    [{"is_superuser": "on"}, {"is_staff": "on"}, {"groups": EXECUTIVE}, {"groups": ADMIN}],
    ids=["superuser", "staff", "executive", "admin"],
)
def test_an_admin_cannot_grant_a_power_even_by_posting_it(staff, member, power):
    if "groups" in power:
        power = {"groups": [Group.objects.get(name=power["groups"]).pk]}
    before = User.objects.filter(pk=member.pk).values().get()

    response = staff.post(f"{USERS}{member.pk}/change/", change_data(member) | power)

    assert response.status_code == 403
    assert User.objects.filter(pk=member.pk).values().get() == before
    assert not member.groups.filter(name__in=[EXECUTIVE, ADMIN]).exists()


def test_an_admin_cannot_change_an_executives_email_nor_delete_them(staff, executive):
    response = staff.post(
        f"{USERS}{executive.pk}/change/", change_data(executive, email="ada@example.com")
    )
    assert response.status_code == 403
    delete = staff.post(
        USERS, {"action": "delete_selected", "_selected_action": [executive.pk], "post": "yes"}
    )
    assert delete.status_code == 403

    executive.refresh_from_db()
    assert executive.email == "erin-exec@example.com"


def test_an_email_another_account_has_is_refused(staff, member, executive):
    response = staff.post(
        f"{USERS}{member.pk}/change/", change_data(member, email=executive.email.upper())
    )

    assert response.status_code == 200
    assert "Another account already has this email address." in response.content.decode()


def test_a_person_added_by_an_admin_gets_an_invitation_with_a_working_link(
    staff, client, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    # The task runs in the worker; here it runs at once, as `make run`'s worker would.
    monkeypatch.setattr(tasks.send_invitations, "delay", tasks.send_invitations)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"{USERS}add/",
            {
                "username": "nina",
                "email": "nina@example.com",
                "first_name": "Nina",
                "last_name": "Ray",
            },
        )

    assert response.status_code == 302
    nina = User.objects.get(username="nina")
    assert not nina.has_usable_password()
    [mail] = mailoutbox
    assert mail.to == ["nina@example.com"]
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", mail.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.logout()
    form = client.get(f"/{path}", follow=True)
    assert form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-long-passphrase-2026", "new_password2": "a-long-passphrase-2026"},
    )
    assert done.status_code == 302
    nina.refresh_from_db()
    assert nina.check_password("a-long-passphrase-2026")


def test_sending_an_invitation_again_skips_people_who_have_a_password(
    staff, member, invitations, django_capture_on_commit_callbacks
):
    newcomer = UserFactory(username="newcomer")
    newcomer.set_unusable_password()
    newcomer.save()

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            USERS,
            {"action": "send_invitation", "_selected_action": [newcomer.pk, member.pk]},
        )

    assert invitations == [[newcomer.pk]]


def test_the_invitation_task_sends_nothing_to_someone_who_chose_a_password(member, mailoutbox):
    assert tasks.send_invitations([member.pk]) == 0
    assert mailoutbox == []
