# Registers the strategy permissions with django-rules (autodiscovered at start-up).
from alignment import roles  # noqa: F401
