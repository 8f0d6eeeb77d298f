"""The language of a request: the person's choice on their profile, else the browser's, else the
company's default; the footer's switch and the profile page's choice; no query per request."""

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from alignment.middleware import _browser_language
from strategy.models import CompanySettings, Profile

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _company(**fields) -> CompanySettings:
    company = CompanySettings.load()
    for name, value in fields.items():
        setattr(company, name, value)
    company.save()
    return company


def _language_of(response) -> str:
    return response["Content-Language"]


def test_the_profile_choice_beats_the_browser_and_the_company_default(client, member):
    _company(language="es")
    Profile.objects.create(user=member, language="fr")
    client.force_login(member)

    response = client.get(reverse("api:profile"), headers={"accept-language": "de"})

    assert _language_of(response) == "fr"
    assert '<html lang="fr">' in response.content.decode()


def test_without_a_choice_the_browser_beats_the_company_default(client, member):
    _company(language="es")
    Profile.objects.create(user=member, language="")
    client.force_login(member)

    assert _language_of(client.get("/", headers={"accept-language": "de-AT,de;q=0.9"})) == "de"
    assert _language_of(client.get("/", headers={"accept-language": "ja, fr;q=0.5"})) == "fr"
    assert _language_of(client.get("/", headers={"accept-language": "en-US"})) == "en-gb"


def test_a_browser_asking_for_none_of_the_languages_gets_the_company_default(client):
    _company(language="es")

    assert _language_of(client.get(LOGIN, headers={"accept-language": "ja, zh;q=0.8"})) == "es"
    assert _language_of(client.get(LOGIN)) == "es"


def test_with_no_company_settings_saved_the_language_is_language_code(client):
    CompanySettings.objects.all().delete()

    assert _language_of(client.get(LOGIN)) == settings.LANGUAGE_CODE == "en-gb"


def test_the_response_varies_on_what_chose_its_language(client):
    response = client.get(LOGIN, headers={"accept-language": "fr"})

    vary = {v.strip() for v in response["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary


def test_a_changed_company_default_is_used_at_once(client):
    _company(language="es")
    assert _language_of(client.get(LOGIN)) == "es"

    _company(language="de")

    assert _language_of(client.get(LOGIN)) == "de"


def test_the_pages_show_times_in_the_company_time_zone(client, member):
    _company(time_zone="Asia/Tokyo")
    client.force_login(member)

    client.get(reverse("api:profile"))

    assert timezone.get_current_timezone() == zoneinfo.ZoneInfo("Asia/Tokyo")
    noon = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert timezone.localtime(noon).hour == 21


def test_the_footer_switch_saves_a_signed_in_persons_choice(client, member):
    client.force_login(member)

    response = client.post(reverse("language-set"), {"language": "de", "next": "/strategy/"})

    assert response.status_code == 302 and response["Location"] == "/strategy/"
    assert Profile.objects.get(user=member).language == "de"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert _language_of(client.get("/", headers={"accept-language": "fr"})) == "de"


def test_the_choice_follows_the_person_to_their_next_sign_in(client, member):
    Profile.objects.create(user=member, language="es")

    client.force_login(member)

    assert _language_of(client.get("/")) == "es"


def test_the_footer_switch_keeps_an_anonymous_visitors_choice_in_a_cookie(client):
    response = client.post(reverse("language-set"), {"language": "fr", "next": LOGIN})

    assert response.status_code == 302 and response["Location"] == LOGIN
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not Profile.objects.exists()
    page = client.get(LOGIN, headers={"accept-language": "de"})
    assert _language_of(page) == "fr"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/path", "javascript:alert(1)", "", "\\\\evil.example"],
)
def test_the_switch_goes_back_only_to_a_page_of_this_site(client, next_url):
    response = client.post(reverse("language-set"), {"language": "de", "next": next_url})

    assert response.status_code == 302 and response["Location"] == "/"


def test_an_unknown_language_changes_nothing(client, member):
    client.force_login(member)

    response = client.post(reverse("language-set"), {"language": "xx", "next": "/"})

    assert response.status_code == 302
    assert not Profile.objects.exists()


def test_the_switch_takes_only_a_post_with_its_csrf_token(member):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)

    assert strict.get(reverse("language-set")).status_code == 405
    assert strict.post(reverse("language-set"), {"language": "de"}).status_code == 403
    assert not Profile.objects.exists()


def test_the_footer_lists_the_languages_in_their_own_names(client):
    page = client.get(LOGIN).content.decode()

    for code, name in (("en-gb", "English"), ("de", "Deutsch"), ("fr", "Français")):
        assert f'value="{code}" lang="{code}"' in page and f">{name}</button>" in page
    assert 'name="next" value="/accounts/login/"' in page


def test_the_profile_page_sets_the_language_and_back_to_the_browsers(client, member):
    client.force_login(member)
    page = client.get(reverse("api:profile")).content.decode()
    assert 'name="language"' in page and "As my browser, else the company default" in page

    client.post(reverse("language-set"), {"language": "es", "next": reverse("api:profile")})
    assert 'value="es" selected' in client.get(reverse("api:profile")).content.decode()

    client.post(reverse("language-set"), {"language": "", "next": reverse("api:profile")})

    assert Profile.objects.get(user=member).language == ""
    assert _language_of(client.get("/", headers={"accept-language": "fr"})) == "fr"


def test_the_company_settings_page_edits_the_default_language(client, executive):
    client.force_login(executive)
    page = client.get(reverse("strategy:company-edit")).content.decode()

    assert 'name="language"' in page and ">Deutsch</option>" in page


def test_browser_languages_are_matched_in_their_order_of_preference():
    assert _browser_language("fr-CH, fr;q=0.9, en;q=0.8") == "fr"
    assert _browser_language("es-MX") == "es"
    assert _browser_language("en") == "en-gb"
    assert _browser_language("*") == ""
    assert _browser_language("ja") == ""
    assert _browser_language("") == ""


# --- No query per request ---------------------------------------------------------------------


def _queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, headers=headers).status_code == 200
    return len(queries)


@pytest.mark.parametrize("choice", ["de", ""], ids=["with a choice", "without"])
def test_choosing_the_language_adds_no_query_to_a_signed_in_page(client, member, choice):
    Profile.objects.create(user=member, language=choice)
    client.force_login(member)
    url = reverse("api:profile")
    client.get(url)  # fills the company's cached language and time zone, as a worker would

    with_middleware = _queries(client, url, **{"accept-language": "ja"})
    without = [m for m in settings.MIDDLEWARE if m != "alignment.middleware.LanguageMiddleware"]
    with override_settings(MIDDLEWARE=without):
        assert _queries(client, url, **{"accept-language": "ja"}) == with_middleware


def test_choosing_the_language_adds_no_query_to_the_login_page(client):
    client.get(LOGIN)

    with_middleware = _queries(client, LOGIN)
    without = [m for m in settings.MIDDLEWARE if m != "alignment.middleware.LanguageMiddleware"]
    with override_settings(MIDDLEWARE=without):
        assert _queries(client, LOGIN) == with_middleware


def _profile_reads(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum(Profile._meta.db_table in q["sql"] for q in queries.captured_queries)


def test_a_session_from_before_the_choice_reads_the_profile_once(client, member):
    from strategy.languages import SESSION_KEY

    Profile.objects.create(user=member, language="fr")
    client.force_login(member)
    session = client.session
    del session[SESSION_KEY]
    session.save()

    assert _profile_reads(client, reverse("api:profile")) == 1
    assert _profile_reads(client, reverse("api:profile")) == 0
    assert _language_of(client.get("/")) == "fr"


def test_the_api_answers_in_its_clients_language_and_keeps_its_times(member):
    from rest_framework.test import APIClient

    from tests.api.conftest import make_token

    _company(language="es", time_zone="Asia/Tokyo")
    _, secret = make_token(member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert _language_of(client.get("/api/v1/me/")) == settings.LANGUAGE_CODE
    assert _language_of(client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="de")) == "de"
    assert timezone.get_current_timezone() == zoneinfo.ZoneInfo(settings.TIME_ZONE)
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/me/")
    assert not any(CompanySettings._meta.db_table in q["sql"] for q in queries.captured_queries)


def test_without_a_database_the_pages_fall_back_to_the_defaults(client, monkeypatch):
    from django.db import OperationalError

    from strategy.languages import company_locale

    def broken(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("django.db.connection.cursor", broken)

    assert company_locale() == (settings.LANGUAGE_CODE, settings.TIME_ZONE)
    assert client.get("/healthz").status_code == 503
