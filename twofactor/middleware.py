from django.shortcuts import redirect

from twofactor.views import ENROL

# What a session that must set up its factor first may still open.
OPEN = {"twofactor:setup", "twofactor:qr", "twofactor:recovery", "logout"}


class EnrolmentRequiredMiddleware:
    """After the password, a person whose role needs a second factor (SECOND_FACTOR_REQUIRED)
    and has none sees only the set-up page until they have one. A flag in the session, set at
    that sign-in: no query on other requests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.session.get(ENROL) or not request.user.is_authenticated:
            return None
        if request.resolver_match.view_name in OPEN:
            return None
        return redirect("twofactor:setup")
