"""Admins import units and people from CSV: a preview that writes nothing, then a confirm step."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from strategy.models import Membership, Unit
from strategy.roles import DEPARTMENT_HEAD, MEMBER

pytestmark = pytest.mark.django_db

User = get_user_model()

UNITS = "/admin/alignment/unit/"
PEOPLE = "/admin/alignment/membership/"


class _HiddenInputs(HTMLParser):
    """The hidden inputs of the form that posts to `action`."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
        elif tag == "input" and self.inside and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def preview(client, admin_url: str, csv: str):
    """Upload a CSV on the import page, choosing the CSV format the way the form offers it."""
    form = client.get(f"{admin_url}import/").context["form"]
    csv_format = next(value for value, label in form.fields["format"].choices if label == "csv")
    upload = SimpleUploadedFile("import.csv", csv.encode(), content_type="text/csv")
    return client.post(
        f"{admin_url}import/",
        {"format": csv_format, "resource": form.initial["resource"], "import_file": upload},
    )


def confirm(client, admin_url: str, preview_response):
    """Post the preview's confirm form back, with its hidden fields, as the button does."""
    action = f"{admin_url}process_import/"
    parser = _HiddenInputs(action)
    parser.feed(preview_response.content.decode())
    assert "import_file_name" in parser.fields, "the preview offers no confirm button"
    return client.post(action, parser.fields)


def invalid_rows(response) -> list[tuple[int, dict]]:
    return [
        (row.number, row.field_specific_errors) for row in response.context["result"].invalid_rows
    ]


def row_errors(response) -> list[tuple[int, str]]:
    return [
        (line, str(error.error))
        for line, errors in response.context["result"].row_errors()
        for error in errors
    ]


@pytest.fixture
def staff(login, admin_user):
    """The client, logged in as the admin: staff in the Admin group, not a superuser."""
    return login(admin_user)


# --- Units ----------------------------------------------------------------------------------

UNITS_CSV = """code,name,level,kind,parent,is_active
acme,Acme,business,company,,1
north,North,Business level,Region,acme,
logistics-north,Logistics North,functional,team,north,0
"""


def test_the_unit_preview_shows_the_rows_and_writes_nothing(staff):
    response = preview(staff, UNITS, UNITS_CSV)

    assert response.status_code == 200
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.valid_rows()] == ["new", "new", "new"]
    assert "Logistics North" in response.content.decode()
    assert not Unit.objects.exists()


def test_confirming_the_unit_import_writes_every_row_with_its_parent(staff):
    response = confirm(staff, UNITS, preview(staff, UNITS, UNITS_CSV))

    assert response.status_code == 302
    assert response.url == UNITS
    team = Unit.objects.get(code="logistics-north")
    assert [u.code for u in team.ancestors()] == ["acme", "north"]
    assert (team.level, team.kind, team.is_active) == ("functional", "team", False)
    north = Unit.objects.get(code="north")
    assert (north.level, north.kind, north.is_active) == ("business", "region", True)
    assert Unit.objects.count() == 3


def test_importing_a_known_code_updates_that_unit(staff, logistics):
    csv = "code,name,level,kind,parent\nlogistics,Logistics and delivery,functional,department,\n"

    confirm(staff, UNITS, preview(staff, UNITS, csv))

    logistics.refresh_from_db()
    assert (logistics.name, logistics.kind) == ("Logistics and delivery", "department")
    assert Unit.objects.count() == 1


@pytest.mark.parametrize(
    ("bad_row", "field", "reason"),
    [
        ("hr,HR,functional,team,galaxy", "parent", "no unit with code “galaxy”"),
        ("hr,HR,galactic,team,acme", "level", "“galactic” is not one of: business, functional"),
    ],
    ids=["unknown-parent", "bad-level"],
)
def test_a_bad_unit_row_is_reported_with_its_row_number_and_nothing_is_written(
    staff, bad_row, field, reason
):
    csv = f"code,name,level,kind,parent\nacme,Acme,business,company,\n{bad_row}\n"

    response = preview(staff, UNITS, csv)

    assert invalid_rows(response) == [(2, {field: [reason]})]
    html = response.content.decode()
    assert "Some rows failed to validate" in html
    assert reason in html
    assert "import_file_name" not in html  # no confirm step is offered
    assert not Unit.objects.exists()  # not even the good first row


# --- People ---------------------------------------------------------------------------------

PEOPLE_CSV = """username,email,first_name,last_name,unit,role
hana,hana@example.com,Hana,Ito,logistics,head
ivo,ivo@example.com,Ivo,Berg,logistics,Member
ivo,ivo@example.com,Ivo,Berg,finance,member
"""


def test_the_people_preview_writes_no_user_nor_membership(staff, logistics, finance):
    response = preview(staff, PEOPLE, PEOPLE_CSV)

    assert [row.import_type for row in response.context["result"].valid_rows()] == ["new"] * 3
    assert not User.objects.filter(username__in=["hana", "ivo"]).exists()
    assert not Membership.objects.exists()


def test_confirming_the_people_import_creates_users_memberships_and_role_groups(
    staff, logistics, finance
):
    response = confirm(staff, PEOPLE, preview(staff, PEOPLE, PEOPLE_CSV))

    assert response.status_code == 302
    hana, ivo = User.objects.get(username="hana"), User.objects.get(username="ivo")
    assert (hana.email, hana.get_full_name()) == ("hana@example.com", "Hana Ito")
    assert not hana.has_usable_password()  # they choose one through the password reset
    assert set(Membership.objects.values_list("user__username", "unit__code", "role")) == {
        ("hana", "logistics", "head"),
        ("ivo", "logistics", "member"),
        ("ivo", "finance", "member"),
    }
    assert set(hana.groups.values_list("name", flat=True)) == {DEPARTMENT_HEAD}
    assert set(ivo.groups.values_list("name", flat=True)) == {MEMBER}


def test_the_people_import_marks_the_signal_board_stale_and_its_preview_does_not(
    staff, logistics, finance
):
    from sustain import board

    board.board_refresh(now=timezone.now())
    checked = preview(staff, PEOPLE, PEOPLE_CSV)
    assert not board.stored_board(now=timezone.now()).is_stale

    confirm(staff, PEOPLE, checked)

    # Memberships are written in bulk, without a save signal per row: the import says so.
    assert board.stored_board(now=timezone.now()).is_stale


def test_importing_a_new_role_for_a_known_person_swaps_their_group(staff, member, logistics):
    csv = f"username,email,first_name,last_name,unit,role\n{member.username},,,,logistics,head\n"

    confirm(staff, PEOPLE, preview(staff, PEOPLE, csv))

    assert Membership.objects.get(user=member).role == Membership.Role.HEAD
    assert set(member.groups.values_list("name", flat=True)) == {DEPARTMENT_HEAD}


def test_importing_a_known_person_never_changes_their_account_and_the_preview_says_so(
    staff, member, logistics
):
    """A known username with another email would send the next password reset elsewhere."""
    before = (member.email, member.get_full_name(), member.password)
    csv = (
        "username,email,first_name,last_name,unit,role\n"
        f"{member.username},mia@new.example.com,Mia,Moreau,logistics,member\n"
    )

    checked = preview(staff, PEOPLE, csv)
    assert "email “mia@new.example.com” in the file" in checked.content.decode()
    confirm(staff, PEOPLE, checked)

    member.refresh_from_db()
    assert (member.email, member.get_full_name(), member.password) == before


def test_an_unknown_unit_is_reported_and_no_person_is_written(staff, logistics):
    csv = (
        "username,email,first_name,last_name,unit,role\n"
        "hana,hana@example.com,Hana,Ito,logistics,head\n"
        "ivo,ivo@example.com,Ivo,Berg,nowhere,member\n"
    )

    response = preview(staff, PEOPLE, csv)

    assert row_errors(response) == [(2, "no unit with code “nowhere”")]
    assert "Line number: 2 - no unit with code “nowhere”" in response.content.decode()
    assert "import_file_name" not in response.content.decode()
    assert not User.objects.filter(username__in=["hana", "ivo"]).exists()
    assert not Membership.objects.exists()


def test_a_row_without_a_username_is_reported(staff, logistics):
    csv = "username,email,first_name,last_name,unit,role\n,x@example.com,X,Y,logistics,member\n"

    response = preview(staff, PEOPLE, csv)

    assert row_errors(response) == [(1, "username is empty")]
    assert "Line number: 1 - username is empty" in response.content.decode()
    assert not Membership.objects.exists()


# --- The confirm step re-reads the file: it may no longer be valid -----------------------------


def test_a_unit_file_whose_parent_went_away_after_the_preview_writes_nothing(staff, finance):
    csv = (
        "code,name,level,kind,parent\n"
        "hr,HR,functional,team,\n"
        "pickers,Pickers,functional,team,finance\n"
    )
    checked = preview(staff, UNITS, csv)
    finance.delete()  # another admin, between the preview and the confirmation

    response = confirm(staff, UNITS, checked)

    assert list(Unit.objects.values_list("code", flat=True)) == []
    assert response.url == f"{UNITS}import/"


def test_a_people_file_whose_unit_went_away_after_the_preview_is_not_reported_as_imported(
    staff, logistics, finance
):
    checked = preview(staff, PEOPLE, PEOPLE_CSV)
    finance.delete()

    response = confirm(staff, PEOPLE, checked)

    assert not Membership.objects.exists()  # all or nothing: this part holds
    messages = [str(m) for m in staff.get(response.url).context["messages"]]
    assert not any(m.startswith("Import finished") for m in messages), messages


@pytest.mark.parametrize(
    ("lines", "line", "reason"),
    [
        (
            ["ana,ana@example.com", "bo,ANA@example.com"],
            2,
            "email “ANA@example.com” is also on line 1, for “ana”",
        ),
        (["ana,not-an-address"], 1, "“not-an-address” is not a valid email address"),
        (["ana,"], 1, "email is empty: ana is new and needs one for the invitation"),
        (
            ["ana,mia-member@example.com"],
            1,
            "email “mia-member@example.com” belongs to another account, “mia-member”",
        ),
    ],
    ids=["duplicate", "malformed", "missing", "another-account"],
)
def test_a_bad_email_is_refused_with_its_line_and_nobody_is_written(
    staff, member, logistics, lines, line, reason
):
    csv = "username,email,unit,role\n" + "".join(f"{text},logistics,member\n" for text in lines)

    response = preview(staff, PEOPLE, csv)

    assert row_errors(response) == [(line, reason)]
    assert "import_file_name" not in response.content.decode()
    assert not User.objects.filter(username__in=["ana", "bo"]).exists()


def test_confirming_invites_each_new_person_once_and_the_preview_invites_nobody(
    staff, member, logistics, finance, django_capture_on_commit_callbacks, invitations
):
    with django_capture_on_commit_callbacks(execute=True):
        checked = preview(staff, PEOPLE, PEOPLE_CSV)
    assert invitations == []

    with django_capture_on_commit_callbacks(execute=True):
        confirm(staff, PEOPLE, checked)

    hana, ivo = User.objects.get(username="hana"), User.objects.get(username="ivo")
    assert sorted(sum(invitations, [])) == sorted([hana.pk, ivo.pk])


# --- A file that cannot be read gets a sentence, never a traceback ---------------------------


def upload(client, admin_url: str, content: bytes, *, name: str, format_label: str):
    form = client.get(f"{admin_url}import/").context["form"]
    fmt = next(value for value, label in form.fields["format"].choices if label == format_label)
    return client.post(
        f"{admin_url}import/",
        {
            "format": fmt,
            "resource": form.initial["resource"],
            "import_file": SimpleUploadedFile(name, content),
        },
    )


@pytest.mark.parametrize(
    ("admin_url", "content", "name", "format_label", "message"),
    [
        (
            UNITS,
            b"name,level,kind\nHR,functional,team\n",
            "u.csv",
            "csv",
            "The file has no “code” column",
        ),
        (
            PEOPLE,
            b"email,unit,role\na@example.com,x,member\n",
            "p.csv",
            "csv",
            "The file has no “username” column",
        ),
        (
            UNITS,
            "code,name,level,kind\nz,Zürich,business,region\n".encode("utf-16"),
            "u.csv",
            "csv",
            "not UTF-8 text",
        ),
        (
            UNITS,
            b"PK\x03\x04 not really a workbook",
            "u.xlsx",
            "xlsx",
            "could not be read as a xlsx file",
        ),
        (UNITS, b"", "u.csv", "csv", "The submitted file is empty."),
    ],
    ids=["no-code", "no-username", "utf-16", "fake-xlsx", "empty"],
)
def test_a_file_that_cannot_be_imported_gets_a_plain_message_and_no_traceback(
    staff, settings, admin_url, content, name, format_label, message
):
    settings.DEBUG = False

    response = upload(staff, admin_url, content, name=name, format_label=format_label)

    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "Traceback" not in html and ".py" not in html
    assert "import_file_name" not in html
