# Registers the strategy permissions with django-rules (autodiscovered at start-up).
from strategy import roles  # noqa: F401
