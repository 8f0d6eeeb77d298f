"""The templates' {% url %}, with the address of a view that takes no argument reversed once.

Every page's header and footer link some twenty views by name ({% url 'home' %}...), and
Django reverses each name anew on every request: about 40 µs a link, most of a millisecond a
page, for an answer that changes only with the URLconf. This library, a built-in of the
template engine (settings.TEMPLATES), replaces Django's tag: a link with no argument is looked
up in a dictionary kept per process, keyed by everything reverse() reads besides the name (the
URLconf, the script prefix, the current application); any other link, with arguments or a
name held in a variable, is Django's own. The dictionary is emptied when a test changes the
URLconf or the script name.
"""

from __future__ import annotations

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Library
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = Library()
_reversed: dict[tuple, str] = {}


class ReversedOnceNode(URLNode):
    def render(self, context):
        name = self.view_name
        if self.args or self.kwargs or name.is_var or name.filters:
            return super().render(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        key = (name.var, current_app, get_urlconf(), get_script_prefix())
        url = _reversed.get(key)
        if url is None:
            try:
                url = _reversed[key] = reverse(name.var, current_app=current_app)
            except NoReverseMatch:
                return super().render(context)  # raises, or sets an `as` variable to ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return ReversedOnceNode(node.view_name, node.args, node.kwargs, node.asvar)


@receiver(setting_changed)
def _urlconf_changed(*, setting, **kwargs):
    if setting in ("ROOT_URLCONF", "FORCE_SCRIPT_NAME"):
        _reversed.clear()
