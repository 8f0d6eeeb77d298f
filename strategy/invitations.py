"""The one-time link of an invitation to choose a password.

Django's password-reset token with a salt of its own and its own lifetime, INVITATION_DAYS
(a reset link lives PASSWORD_RESET_TIMEOUT): a reset link does not open the invitation page nor
the other way round. The token signs the password hash and last login, so it stops working
once the password is chosen."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "strategy.invitations.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        return (self._num_seconds(self._now()) - ts) <= settings.INVITATION_DAYS * 86400


invitation_tokens = InvitationTokenGenerator()
