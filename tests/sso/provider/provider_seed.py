"""Migrates the provider's database and adds its client (the product) and its people:
python provider_seed.py <client id> <client secret> <redirect uris> <post-logout uris>
<username:password:email:group;group> ..."""

import sys

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

call_command("migrate", verbosity=0)
client_id, secret, redirects, post_logout, *people = sys.argv[1:]
for cid in (client_id, "another-client"):
    Application.objects.create(
        name=f"Alignment Reviews ({cid})",
        client_id=cid,
        client_secret=secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirects,
        post_logout_redirect_uris=post_logout,
        algorithm=Application.RS256_ALGORITHM,
    )
for person in people:
    username, password, email, groups = person.split(":")
    user = User.objects.create_user(username, email=email, password=password)
    for name in filter(None, groups.split(";")):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
