"""An email's "stop these emails" link and its List-Unsubscribe header (RFC 2369, RFC 8058).

A module of its own for its one reviewed exception to the rules of the code: a mail program's
one-click unsubscribe is a POST without a CSRF token. The signed link is the authority, and
all it can do is turn off the emails of the topics it names (one for an email, those of a
digest's items) for the person it names.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications import preferences

log = logging.getLogger(__name__)


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET says whether the person still gets the emails of the link's topics and offers to
    stop them; POST stops them, then shows that they are stopped. No need to be signed in."""
    found = preferences.read_unsubscribe_token(token)
    user = None
    if found:
        user = get_user_model().objects.filter(pk=found[0], is_active=True).first()
    if user is None:
        context = {"invalid": True}
        return render(request, "notifications/unsubscribe.html", context, status=400)
    required_topics = preferences.required_topics()
    topics = [preferences.Topic(t) for t in found[1]]
    free = [t for t in topics if t.value not in required_topics]
    if request.method == "POST" and free:
        for topic in free:
            preferences.email_off(user=user, topic=topic.value)
        log.info("%s turned off the emails of %s from an email's link", user, found[1])
        return redirect(request.path)
    context = {
        "topics_label": ", ".join(str(t.label).lower() for t in topics),
        "required": not free,
        "off": bool(free)
        and not any(preferences.channels_of([user.pk], t.value)[user.pk].email for t in free),
        "token": token,
    }
    return render(request, "notifications/unsubscribe.html", context)
