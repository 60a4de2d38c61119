"""Damaged caches a run healed, collected so the run's summary line can say so.

A dataset, model or ground-truth cache whose files do not match their
digests is rebuilt, and the module that rebuilds it logs a warning naming it.
Those warnings are easy to miss (pytest shows them only with
``--log-cli-level``), so `collect` gathers them while a cell runs; the
record carries them under ``_healed`` (never written to its file) and the
session's final line counts them (``healed 1 damaged cache: ...``).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator

#: (logger, words in its message) of each warning that means "a damaged cache was found and rebuilt".
HEALED_WARNINGS = (
    ("tasks.builder", "rebuilding it"),
    ("baselines.store", "rebuilding it"),
    ("benchmark.scores.groundtruth", "is damaged"),
    ("tasks.cache", "left by an interrupted build"),
)


class _Collector(logging.Handler):
    def __init__(self, words: str, found: list[str]):
        super().__init__(logging.WARNING)
        self.words, self.found = words, found

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self.words in message:
            self.found.append(message)


@contextlib.contextmanager
def collect() -> Iterator[list[str]]:
    """Yield a list that fills with the message of every damaged cache healed inside the block."""
    found: list[str] = []
    attached = []
    for name, words in HEALED_WARNINGS:
        logger = logging.getLogger(name)
        handler = _Collector(words, found)
        logger.addHandler(handler)
        attached.append((logger, handler))
    try:
        yield found
    finally:
        for logger, handler in attached:
            logger.removeHandler(handler)


def summary(messages: list[str]) -> str:
    """The summary line's words for healed caches ("" when none): ``healed 2 damaged caches (first: ...)``."""
    if not messages:
        return ""
    noun = "cache" if len(messages) == 1 else "caches"
    return f"healed {len(messages)} damaged {noun} ({'first: ' if len(messages) > 1 else ''}{messages[0]})"
