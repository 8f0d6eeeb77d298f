"""The cadence settings page."""

import re

import pytest
from pytest_django.asserts import assertContains, assertRedirects

from reviews.models import CadenceSettings
from tests.reviews.cadence.support import cadence_form_data

pytestmark = pytest.mark.django_db

CADENCE_URL = "/reviews/cadence/"
OPERATIONS_URL = "/reviews/operations/"
NOTIFICATIONS_URL = "/reviews/notifications/"


# --- Cadence settings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("executive", 200), ("admin_user", 200), ("head", 403), ("member", 403), ("outsider", 403)],
)
def test_executives_and_admins_edit_the_cadence_and_nobody_else(login, request, who, status):
    client = login(request.getfixturevalue(who))

    assert client.get(CADENCE_URL).status_code == status
    response = client.post(CADENCE_URL, cadence_form_data(reminder_hour=9))
    assert response.status_code == (302 if status == 200 else 403)
    assert CadenceSettings.load().reminder_hour == (9 if status == 200 else 8)


def test_the_cadence_page_needs_a_login(client):
    response = client.get(CADENCE_URL)

    assertRedirects(response, f"/accounts/login/?next={CADENCE_URL}")


def test_reminder_days_are_normalised(login, executive):
    response = login(executive).post(
        CADENCE_URL, cadence_form_data(reminder_days_before_due="1, 7,7"), follow=True
    )

    assertRedirects(response, CADENCE_URL)
    assertContains(response, "Cadence settings saved.")
    config = CadenceSettings.load()
    assert config.reminder_days_before_due == "7,1"
    assert config.reminder_days() == [7, 1]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        (
            "reminder_days_before_due",
            "7,x",
            "Enter whole numbers of days separated by commas, such as 7,1.",
        ),
        (
            "reminder_days_before_due",
            "7,-1",
            "Enter whole numbers of days separated by commas, such as 7,1.",
        ),
        (
            "reminder_days_before_due",
            " , ",
            "Enter whole numbers of days separated by commas, such as 7,1.",
        ),
        (
            "reminder_days_before_due",
            "\u0663",  # ARABIC-INDIC DIGIT THREE: a digit to str.isdigit, not to the cadence
            "Enter whole numbers of days separated by commas, such as 7,1.",
        ),
        (
            "reminder_days_before_due",
            "90,7",
            "Reminders can start at most 60 days before the due date.",
        ),
        ("reminder_hour", "24", "Ensure this value is less than or equal to 23."),
        ("refresh_day", "29", "Ensure this value is less than or equal to 28."),
        ("overdue_reminder_every_days", "0", "Ensure this value is greater than or equal to 1."),
    ],
)
def test_a_bad_value_is_refused_with_a_message_next_to_its_field(
    login, executive, field, value, error
):
    response = login(executive).post(CADENCE_URL, cadence_form_data(**{field: value}))

    assert response.status_code == 200
    assertContains(response, "Nothing was saved: please correct the errors below.")
    assert error in response.context["form"].errors[field][0]
    # The message is rendered inside the field's own block, tied to its input.
    html = response.content.decode()
    block = html[html.index(f'id="div_id_{field}"') :]
    block = block[: block.find('id="div_id_', 1)]
    assert f'<span id="error_1_id_{field}"><strong>{error}' in block
    assert 'aria-invalid="true"' in block
    assert re.search(f'aria-describedby="[^"]*id_{field}_error', block)
    assert CadenceSettings.load().reminder_days_before_due == "7,1"
