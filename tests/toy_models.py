"""Moved to `baselines.toy` (library code must not import from tests/); kept so older imports still work."""

from baselines.toy import random_onehot, toy_cnn  # noqa: F401
