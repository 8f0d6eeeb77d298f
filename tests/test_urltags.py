"""The templates' {% url %} (alignment/urltags.py): a link without arguments reversed once."""

import pytest
from django.http import HttpResponse
from django.template import engines
from django.test import override_settings
from django.urls import NoReverseMatch, path, reverse


def _view(request):
    return HttpResponse()


# A URLconf where `home` is elsewhere: the cached address must follow the URLconf.
urlpatterns = [path("elsewhere/", _view, name="home")]


def _render(text: str, **context) -> str:
    return engines["django"].from_string(text).render(context)


def test_a_link_without_arguments_is_the_reversed_address_every_time():
    for _ in range(2):
        assert _render("{% url 'home' %}") == reverse("home")
        assert (
            _render("{% url 'strategy:matrix' as m %}[{{ m }}]")
            == f"[{reverse('strategy:matrix')}]"
        )


def test_links_with_arguments_or_names_in_variables_are_reversed_as_django_does():
    assert _render("{% url 'reviews:check-edit' 7 %}") == reverse("reviews:check-edit", args=[7])
    assert _render("{% url name %}", name="strategy:matrix") == reverse("strategy:matrix")


def test_an_unknown_name_still_fails_or_leaves_its_variable_empty():
    with pytest.raises(NoReverseMatch):
        _render("{% url 'no-such-view' %}")
    assert _render("{% url 'no-such-view' as u %}[{{ u }}]") == "[]"


def test_the_address_follows_a_change_of_urlconf():
    assert _render("{% url 'home' %}") == "/"
    with override_settings(ROOT_URLCONF=__name__):
        assert _render("{% url 'home' %}") == "/elsewhere/"
    assert _render("{% url 'home' %}") == "/"
