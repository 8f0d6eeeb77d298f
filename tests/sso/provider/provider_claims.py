from oauth2_provider.oauth2_validators import OAuth2Validator

UNVERIFIED = "email-unverified"  # a provider group that says the email is not verified


class Validator(OAuth2Validator):
    """Every claim whatever the scopes; groups from the provider user's Django groups."""

    oidc_claim_scope = None

    def get_additional_claims(self, request):
        user = request.user
        groups = sorted(user.groups.values_list("name", flat=True))
        return {
            "email": user.email,
            "email_verified": UNVERIFIED not in groups,
            "preferred_username": user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "groups": [g for g in groups if g != UNVERIFIED],
        }
