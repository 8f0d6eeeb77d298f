"""What the operations page costs: its filter menus written once per process for each set of
options and choice (and a change to a review or an endpoint shown at once), the reminders to
come read in two queries, and as many queries for a large company as for a small one."""

from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from bench import data
from notifications import forms
from notifications.models import Delivery, Digest
from reviews import announce
from reviews.models import AlignmentCheck, CadenceSettings, ReviewCycle
from reviews.operations import upcoming_reminders
from strategy.languages import company_locale
from strategy.models import Membership
from tests.factories import (
    ChatChannelFactory,
    ReviewCycleFactory,
    UserFactory,
    WebhookEndpointFactory,
    make_head,
)
from tests.reviews.cadence.support import utc

pytestmark = pytest.mark.django_db

OPERATIONS_URL = reverse("notifications:operations")


@pytest.fixture(autouse=True)
def menus_written_anew():
    """Each test starts with no menu written, as a new process would."""
    forms.filter_options.cache_clear()
    forms._select.cache_clear()
    yield
    forms.filter_options.cache_clear()
    forms._select.cache_clear()


# --- The filter menus ----------------------------------------------------------------------------


def test_the_menus_are_written_once_for_the_same_options_and_choice(login, admin_user, opened):
    client = login(admin_user)

    first = client.get(OPERATIONS_URL).content.decode()
    written = forms._select.cache_info().misses
    second = client.get(OPERATIONS_URL).content.decode()

    assert written == 4  # state, kind, cycle, endpoint
    assert forms._select.cache_info().misses == 4 and forms._select.cache_info().hits == 4
    assert forms.filter_options.cache_info().misses == 1
    assert first.count("<select ") == second.count("<select ") == 4
    assertContains(client.get(OPERATIONS_URL), f'<option value="{opened.pk}">Q1 FY2026</option>')


def test_another_choice_writes_its_menu_and_keeps_the_options(login, admin_user):
    client = login(admin_user)
    client.get(OPERATIONS_URL)

    response = client.get(OPERATIONS_URL, {"state": "failed"})

    assert forms.filter_options.cache_info().misses == 1  # the same options
    assert forms._select.cache_info().misses == 5  # the state's menu with "failed" chosen
    assertContains(response, '<option value="failed" selected>Failed</option>', html=False)
    assertContains(response, '<option value="" selected>Any kind</option>', html=False)
    assertNotContains(response, '<option value="" selected>Any state</option>', html=False)


def test_a_new_review_shows_in_the_cycle_menu_at_once(login, admin_user, current_position):
    client = login(admin_user)
    client.get(OPERATIONS_URL)

    cycle = ReviewCycleFactory(position=current_position, quarter=3)
    response = client.get(OPERATIONS_URL)

    assertContains(response, f'<option value="{cycle.pk}">Q3 FY2026</option>', html=False)
    cycle.delete()
    assertNotContains(client.get(OPERATIONS_URL), "Q3 FY2026")


def test_a_changed_review_shows_by_its_new_name_at_once(login, admin_user, current_position):
    cycle = ReviewCycleFactory(position=current_position, quarter=3)
    client = login(admin_user)
    client.get(OPERATIONS_URL)

    ReviewCycle.objects.filter(pk=cycle.pk).update(quarter=4)  # no signal, no save
    response = client.get(OPERATIONS_URL)

    assertContains(response, f'<option value="{cycle.pk}">Q4 FY2026</option>', html=False)
    assertNotContains(response, "Q3 FY2026")


def test_a_new_renamed_or_deleted_endpoint_shows_in_its_menu_at_once(login, admin_user):
    client = login(admin_user)
    client.get(OPERATIONS_URL)

    endpoint = WebhookEndpointFactory(name="Alpha")
    assertContains(client.get(OPERATIONS_URL), f'<option value="{endpoint.pk}">Alpha</option>')
    endpoint.name = "Beta"
    endpoint.save()
    renamed = client.get(OPERATIONS_URL)
    assertContains(renamed, f'<option value="{endpoint.pk}">Beta</option>')
    assertNotContains(renamed, "Alpha")
    endpoint.delete()
    assertNotContains(client.get(OPERATIONS_URL), "Beta")


def test_the_menus_list_reviews_newest_first_and_endpoints_by_name(
    login, admin_user, current_position
):
    q1 = ReviewCycleFactory(position=current_position, quarter=1)
    q2 = ReviewCycleFactory(position=current_position, quarter=2)
    zeta, alpha = WebhookEndpointFactory(name="Zeta"), WebhookEndpointFactory(name="alpha")

    form = login(admin_user).get(OPERATIONS_URL).context["filters"]

    assert [value for value, _ in form.fields["cycle"].choices] == ["", str(q2.pk), str(q1.pk)]
    names = [label for _, label in form.fields["endpoint"].choices]
    assert names == ["Any recipient", *sorted(["Zeta", "alpha"])]  # as the database orders them
    assert {alpha.pk, zeta.pk} == {int(v) for v, _ in form.fields["endpoint"].choices[1:]}


def test_a_refused_filter_is_marked_and_none_of_its_options_chosen(login, admin_user):
    response = login(admin_user).get(OPERATIONS_URL, {"state": "failed", "cycle": "99999"})

    assertContains(
        response, '<select name="cycle" class="form-select" aria-invalid="true" id="id_cycle">'
    )
    assertContains(response, '<select name="state" class="form-select" id="id_state">')
    cycle_menu = response.content.decode().split('id="id_cycle">')[1].split("</select>")[0]
    assert " selected" not in cycle_menu
    assertContains(response, '<label class="form-label" for="id_cycle">Cycle</label>')


def test_the_menus_are_in_the_readers_language(login, admin_user):
    client = login(admin_user)

    english = client.get(OPERATIONS_URL).content.decode()
    german = client.get(OPERATIONS_URL, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    french = client.get(OPERATIONS_URL, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english_again = client.get(OPERATIONS_URL).content.decode()

    assert '<option value="" selected>Any state</option>' in english
    assert '<option value="" selected>Beliebiger Status</option>' in german
    assert '<label class="form-label" for="id_state">Status</label>' in german
    assert '<option value="" selected>Tous les types</option>' in french
    assert _filters(english_again) == _filters(english)
    assert forms.filter_options.cache_info().misses == 3


def test_an_endpoints_name_is_escaped_in_its_menu(login, admin_user):
    WebhookEndpointFactory(name='<b>R&D</b> "hooks"')

    response = login(admin_user).get(OPERATIONS_URL)

    assertContains(response, "&lt;b&gt;R&amp;D&lt;/b&gt; &quot;hooks&quot;")
    assertNotContains(response, "<b>R&D</b>")


@pytest.mark.parametrize("who", ["executive", "head", "member", "outsider"])
def test_menus_written_for_an_admin_are_shown_to_no_one_else(login, request, admin_user, who):
    assert login(admin_user).get(OPERATIONS_URL).status_code == 200

    response = login(request.getfixturevalue(who)).get(OPERATIONS_URL)

    assert response.status_code == 403
    assertNotContains(response, "form-select", status_code=403)


def test_a_filter_by_an_endpoint_applies_without_reading_it_again(login, admin_user, opened):
    endpoint, other = WebhookEndpointFactory(name="Alpha"), WebhookEndpointFactory(name="Beta")
    for target in (endpoint, other):
        Delivery.objects.create(
            endpoint=target, kind="cycle.opened", step=f"cycle-{opened.pk}", payload={}
        )
    client = login(admin_user)
    client.get(OPERATIONS_URL)

    with CaptureQueriesContext(connection) as unfiltered:
        client.get(OPERATIONS_URL)
    with CaptureQueriesContext(connection) as filtered:
        response = client.get(OPERATIONS_URL, {"endpoint": endpoint.pk})

    assert [d.endpoint_id for d in response.context["page"]] == [endpoint.pk]
    assert len(filtered) == len(unfiltered)


# --- The log's rows ------------------------------------------------------------------------------


def _row(page: str, text: str) -> str:
    """The log's table row that contains `text`."""
    body = page.split("<tbody>")[-1].split("</tbody>")[0]  # the last table: the log
    return next(row for row in body.split("<tr>") if text in row)


def test_the_log_writes_each_delivery_as_the_table_always_did(
    login, admin_user, cadence, current_position
):
    cycle = ReviewCycleFactory(position=current_position, quarter=4)
    nameless = UserFactory(username="no-names", first_name="", last_name="")
    Delivery.objects.create(
        cycle=cycle,
        recipient=nameless,
        kind="check_reminder",
        step="before-1",
        state="failed",
        attempts=3,
        last_error="550 " + "x" * 200,
        created_at=utc(2026, 12, 3, 7, 5),  # 08:05 in Paris, the company's time zone
    )
    named = UserFactory(username="nina", first_name="Nina", last_name="Named")
    Delivery.objects.create(
        cycle=cycle,
        recipient=named,
        kind="ack_reminder",
        state="sent",
        attempts=1,
        created_at=utc(2026, 11, 2, 9),
        sent_at=utc(2026, 11, 2, 9, 1),
    )
    channel = ChatChannelFactory(name="#logistics", platform="teams")
    Delivery.objects.create(
        cycle=cycle, channel=channel, kind="check_opened", payload={}, state="pending"
    )
    endpoint = WebhookEndpointFactory(name="Alpha")
    Delivery.objects.create(endpoint=endpoint, kind="report.ready", payload={}, state="sent")
    client = login(admin_user)

    page = client.get(OPERATIONS_URL).content.decode()
    german = client.get(OPERATIONS_URL, HTTP_ACCEPT_LANGUAGE="de").content.decode()

    failed = _row(page, "no-names")
    assert "<td>3 Dec 08:05</td><td>Q4 FY2026</td><td>Check reminder</td><td>before-1</td>" in (
        failed
    )
    assert '<span class="badge text-bg-danger">Failed</span></td>' in failed
    assert f'<td class="small text-break">550 {"x" * 115}…</td>' in failed
    retry = reverse(
        "notifications:delivery-retry", args=[Delivery.objects.get(recipient=nameless).pk]
    )
    assert f'<form method="post" action="{retry}">' in failed
    assert 'aria-label="Retry the email to no-names"' in failed
    sent = _row(page, "Nina Named")
    assert "<td>2 Nov 10:00</td><td>Q4 FY2026</td><td>Read the strategy</td><td>—</td>" in sent
    assert (
        '<span class="badge text-bg-success">Sent</span><br><span class="small">2 Nov 10:01' in sent
    )
    assert "<form" not in sent
    chat = _row(page, "#logistics")
    chat_url = reverse("notifications:chat-edit", args=[channel.pk])
    assert (
        f'<a href="{chat_url}">#logistics</a> <span class="badge text-bg-light">Microsoft Teams'
        in (chat)
    )
    assert '<span class="badge text-bg-warning">Pending</span>' in chat
    webhook = _row(page, "Alpha")
    edit = reverse("notifications:webhook-edit", args=[endpoint.pk])
    assert "<td>—</td><td>Webhook: reports ready</td><td>—</td>" in webhook
    assert f'<a href="{edit}">Alpha</a> <span class="badge text-bg-light">webhook</span>' in webhook
    german_failed = _row(german, "no-names")
    assert "<td>3 Dez 08:05</td>" in german_failed and "<td>Check-Erinnerung</td>" in german_failed


# --- The reminders to come -----------------------------------------------------------------------


def _upcoming(now):
    return upcoming_reminders(now=now, config=CadenceSettings.load())


def test_the_reminders_to_come_are_read_in_two_queries_whatever_the_reviews(
    opened, current_position, django_assert_num_queries
):
    ReviewCycleFactory(
        position=current_position, quarter=2, opens_on=date(2026, 4, 20), due_on=date(2026, 5, 4)
    )
    ReviewCycleFactory(
        position=current_position,
        quarter=4,
        state=ReviewCycle.State.OPEN,
        opens_on=date(2026, 4, 1),
        due_on=date(2026, 4, 15),
    )
    config = CadenceSettings.load()
    company_locale()  # the company's time zone, cached for every request

    with django_assert_num_queries(2):
        rows = upcoming_reminders(now=utc(2026, 4, 12, 10), config=config)

    assert {r["cycle"].label for r in rows} == {"Q1 FY2026", "Q2 FY2026", "Q4 FY2026"}


def test_the_recipients_are_the_heads_of_the_late_teams_each_once(
    opened, head, other_head, logistics, finance
):
    now = utc(2026, 4, 12, 10)

    assert {r["recipients"] for r in _upcoming(now)} == {2}

    AlignmentCheck.objects.filter(cycle=opened, unit=logistics).update(
        state=AlignmentCheck.State.SUBMITTED
    )
    assert {r["recipients"] for r in _upcoming(now)} == {1}  # Finance's head only

    Membership.objects.create(unit=finance, user=head, role=Membership.Role.HEAD)
    other_head.is_active = False
    other_head.save()
    make_head(finance, username="fred-finance")
    late = AlignmentCheck.objects.filter(cycle=opened).exclude(state="submitted")
    expected = len(announce.heads_of(late.values("unit_id")))
    assert expected == 2  # Hugo and Fred: Fay is no longer active
    assert {r["recipients"] for r in _upcoming(now)} == {expected}

    AlignmentCheck.objects.filter(cycle=opened).update(state=AlignmentCheck.State.SUBMITTED)
    assert {r["recipients"] for r in _upcoming(now)} == {0}


def test_a_sent_step_is_left_out_for_its_review_only(opened, current_position):
    other = ReviewCycleFactory(
        position=current_position,
        quarter=4,
        state=ReviewCycle.State.OPEN,
        opens_on=date(2026, 4, 5),
        due_on=date(2026, 4, 19),
    )
    Delivery.objects.create(
        cycle=opened, recipient=UserFactory(), kind="check_reminder", step="before-1"
    )

    rows = [(r["cycle"].pk, r["what"]) for r in _upcoming(utc(2026, 4, 12, 10))]

    assert (opened.pk, "reminder (before-1)") not in rows
    assert (other.pk, "reminder (before-1)") in rows


def test_a_planned_review_shows_only_when_it_opens_in_the_next_two_weeks(cadence, current_position):
    cycle = ReviewCycleFactory(
        position=current_position, quarter=2, opens_on=date(2026, 4, 27), due_on=date(2026, 5, 11)
    )

    assert _upcoming(utc(2026, 4, 12, 10)) == []
    (row,) = _upcoming(utc(2026, 4, 13, 10))
    assert (row["cycle"].pk, row["day"], row["recipients"]) == (cycle.pk, cycle.opens_on, None)
    assert row["cycle"].get_absolute_url() == cycle.get_absolute_url()
    assert _upcoming(utc(2026, 4, 28, 10)) == []  # opened on the day, by then


# --- Queries at two sizes ------------------------------------------------------------------------


def _filters(page: str) -> str:
    return page.split('<form method="get"')[1].split("</form>")[0]


QUERIES = [
    "",
    "?state=sent",
    "?kind=check_reminder&state=failed",
    "?page=2",
    "?cycle={cycle}&endpoint={endpoint}",
    "?cycle=99999&state=lost",
]


def _queries(teams: int) -> list[int]:
    """The queries of the operations page, with each address of QUERIES, for a company of
    `teams` teams whose open review has sent two reminders to every head, told an endpoint
    and a digest; another review is planned to open in three days. Rolled back after."""
    counts = []
    with transaction.atomic():
        dataset = data.build(teams, objectives=2, quarters=3)
        cycle = dataset.open_cycle
        heads = Membership.objects.filter(role=Membership.Role.HEAD).values_list(
            "user_id", flat=True
        )
        Delivery.objects.bulk_create(
            Delivery(
                cycle=cycle, recipient_id=user_id, kind="check_reminder", step=step, state=state
            )
            for user_id in heads
            for step, state in (("before-1", "sent"), ("overdue-3", "failed"))
        )
        endpoint = WebhookEndpointFactory()
        Delivery.objects.create(
            cycle=cycle, endpoint=endpoint, kind="cycle.opened", step="o", payload={}
        )
        Digest.objects.create(recipient=dataset.head, period_ends_at=timezone.now())
        today = timezone.localdate()
        ReviewCycleFactory(
            position=dataset.position,
            fiscal_year=2099,
            opens_on=today + timedelta(days=3),
            due_on=today + timedelta(days=17),
        )
        admin = UserFactory(username=f"count-admin-{teams}", is_staff=True, groups=["Admin"])
        client = Client()
        client.force_login(admin)
        for query in QUERIES:
            url = OPERATIONS_URL + query.format(cycle=cycle.pk, endpoint=endpoint.pk)
            assert client.get(url).status_code == 200  # what a worker's first request fills
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            counts.append(len(captured))
        transaction.set_rollback(True)
    return counts


def test_the_page_runs_as_many_queries_for_12_teams_as_for_3():
    small, large = _queries(3), _queries(12)

    assert small == large
    assert max(small) <= 15
