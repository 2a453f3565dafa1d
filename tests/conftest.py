"""Shared test settings.

Hypothesis' per-example deadline is turned off: under ``pytest -n 2`` a worker that is
importing TensorFlow next door can make a single example slow without anything being
wrong. Example counts stay small so the whole suite runs in well under a minute.
"""

from hypothesis import settings

settings.register_profile("lessons", deadline=None, max_examples=60)
settings.load_profile("lessons")
