"""The production settings, plus the trivial view of bench/urls.py: for `python -m bench.load`.

alignment/settings.py reads everything else from the environment; only the URLconf has no
variable, so the load test's gunicorn and its setup both use this module.
"""

from alignment.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
