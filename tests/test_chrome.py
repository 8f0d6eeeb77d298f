"""Every page's header and footer (alignment/chrome.py): written once for what they show, and
what they show is always the present: the user's name, roles and unread count, the company's
name, the language, the page's section; the forms' CSRF token and the switch's return address
are the request's own."""

import re

import pytest
from django.contrib.auth.models import Group
from django.template import engines
from django.urls import reverse

from alignment import chrome
from notifications.models import Notification
from strategy.models import CompanySettings
from strategy.roles import EXECUTIVE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def header(html: str) -> str:
    return html[html.index("<header>") : html.index("</header>")]


def footer(html: str) -> str:
    return html[html.index("<footer") : html.index("</footer>")]


def page(client, url=None) -> str:
    response = client.get(url or reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture(autouse=True)
def _fresh():
    chrome._header.cache_clear()
    chrome._footer.cache_clear()


def test_the_header_is_rendered_once_for_the_same_facts(login, head, monkeypatch):
    client = login(head)
    rendered = []
    real = chrome.render_to_string
    monkeypatch.setattr(
        chrome, "render_to_string", lambda *a, **k: rendered.append(a[0]) or real(*a, **k)
    )
    first, second = page(client), page(client)
    assert rendered.count("_page_header.html") == 1
    assert rendered.count("_page_footer.html") == 1
    assert header(first) == header(second).replace(
        TOKEN.search(header(second)).group(1), TOKEN.search(header(first)).group(1)
    )


def test_an_unread_notification_shows_on_the_next_page(login, head):
    client = login(head)
    assert "unread" not in header(page(client))
    Notification.objects.create(user=head, title="Your check is open", link="/")
    assert '<span class="badge text-bg-light">1<span class="visually-hidden"> unread' in header(
        page(client)
    )
    Notification.objects.update(read_at="2026-01-01T00:00Z")
    assert "unread" not in header(page(client))


def test_a_new_name_and_company_name_show_at_once(login, head):
    client = login(head)
    page(client)
    head.first_name, head.last_name = "Hortense", "Holt"
    head.save()
    CompanySettings.objects.update_or_create(pk=1, defaults={"name": "Northwind & Co"})
    html = page(client)
    assert "Hortense Holt" in header(html)
    assert "Northwind &amp; Co" in header(html) and "Northwind &amp; Co" in footer(html)


def test_the_menu_follows_the_roles(login):
    user = UserFactory(username="rita-role")
    client = login(user)
    reviews = f'href="{reverse("reviews:cycle-list")}"'
    assert reviews not in header(page(client))
    user.groups.add(Group.objects.get(name=EXECUTIVE))
    html = header(page(client))
    assert reviews in html
    assert reverse("strategy:company-edit") in html
    assert reverse("notifications:operations") not in html


def test_the_admin_menu(login, admin_user):
    html = header(page(login(admin_user)))
    assert reverse("notifications:operations") in html and reverse("admin:index") in html


def test_the_section_of_the_page_is_marked(login, executive):
    client = login(executive)
    home = header(page(client))
    assert f'active" aria-current="page" href="{reverse("home")}"' in home
    matrix = header(page(client, reverse("strategy:matrix")))
    assert f'active" aria-current="page" href="{reverse("strategy:matrix")}"' in matrix
    assert f'aria-current="page" href="{reverse("home")}"' not in matrix


def test_the_language_shows_in_both_parts(login, head):
    client = login(head)
    page(client)
    response = client.post(reverse("language-set"), {"language": "de", "next": "/"})
    assert response.status_code == 302
    html = page(client)
    assert "Abmelden" in header(html)  # "Log out"
    assert 'lang="de" class="btn btn-link btn-sm p-0 ms-2 align-baseline" aria-current="true"' in (
        footer(html)
    )


def test_the_forms_carry_the_request_token_and_the_page_address(head, client):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(head)
    html = page(client, reverse("strategy:matrix") + "?q=a&b=c")
    tokens = TOKEN.findall(html)
    assert len(tokens) == 2  # log out, language
    assert 'name="next" value="/strategy/matrix/?q=a&amp;b=c"' in footer(html)
    # The token works: the language form posts with it.
    response = client.post(
        reverse("language-set"),
        {"language": "fr", "next": "/", "csrfmiddlewaretoken": tokens[1]},
    )
    assert response.status_code == 302


def test_two_people_with_the_same_facts_share_the_text_but_not_the_token(client, login, head):
    twin = UserFactory(username=head.username + "-twin", first_name=head.first_name)
    twin.last_name = head.last_name
    twin.save()
    html = page(login(head))
    other = type(client)()
    other.force_login(twin)
    twin_html = page(other)
    assert TOKEN.search(header(html)).group(1) != TOKEN.search(header(twin_html)).group(1)


def test_outside_a_request_the_page_renders_without_the_forms_tokens():
    html = engines["django"].from_string("{% extends 'base.html' %}").render({})
    assert "<header>" in html and "<footer" in html
    assert "csrfmiddlewaretoken" not in html and "<!--" not in html
