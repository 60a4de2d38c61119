"""The ``[grammar]`` table of a grammar task spec (``source = "grammar"``), read into a frozen `GrammarSpec`.

A grammar task labels sequences by a rule over planted motif instances (see
`tasks.grammar_rules` for the rules and `tasks.grammar` for the simulation).
The table names the rule and the motifs that play its letters::

    [grammar]
    rule = "spacing"      # "and", "or", "spacing" or "repressor"
    A = "POU1F1"          # JASPAR matrix ID or TF name (or a key of the spec's MEME file)
    B = "Sox17"
    spacing = 4           # spacing rule: bp between A's end and B's start, read on A's strand
    orientation = "same"  # spacing rule: B on the same strand as A, or the opposite one
    max_gap = 24          # spacing rule: decoy pairs use every other gap in 0..max_gap

Letters a rule uses: "and", "or" and "spacing" use A and B; "repressor" uses
A (the activator) and R (the repressor). A letter the rule does not use must
be left out, so a spec never names a motif that plays no part.

This module imports nothing heavy: `tasks.spec` calls it while reading specs.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass

RULES = ("and", "or", "spacing", "repressor")
LETTERS = {"and": ("A", "B"), "or": ("A", "B"), "spacing": ("A", "B"), "repressor": ("A", "R")}
ORIENTATIONS = ("same", "opposite")
# Bump when a change to the grammar simulation changes what a build produces (hashed for grammar tasks only).
GRAMMAR_VERSION = "2"


@dataclass(frozen=True)
class GrammarSpec:
    """The labelling rule of a grammar task and the motifs behind its letters."""

    rule: str
    A: str = ""
    B: str = ""
    R: str = ""
    spacing: int = 4
    orientation: str = "same"
    max_gap: int = 24
    # bp kept free between instances placed separately (not the spacing rule's pair, whose gap is the rule's)
    margin: int = 2

    def letters(self) -> tuple[str, ...]:
        """The letters the rule uses, e.g. ("A", "R")."""
        return LETTERS[self.rule]

    def motif_of(self) -> dict[str, str]:
        """Letter -> the motif name or ID the spec gives it, for the letters the rule uses."""
        return {letter: getattr(self, letter) for letter in self.letters()}


def grammar_fields() -> list[str]:
    """Keys accepted in a ``[grammar]`` table."""
    return [f.name for f in dataclasses.fields(GrammarSpec)]


def grammar_from_dict(data, origin: str, error: type[Exception]) -> GrammarSpec:
    """A validated `GrammarSpec` from a parsed ``[grammar]`` table.

    Raises `error` (the caller's SpecError) naming `origin`, the key and what
    to write instead, for a non-table, an unknown key, a wrong type or a bad value.
    """
    if not isinstance(data, dict):
        raise error(f"{origin}: 'grammar' must be a table ([grammar] with rule = ..., A = ..., ...), got {data!r}")
    names = grammar_fields()
    for key in data:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise error(f"{origin}: unknown key {key!r} in [grammar].{hint} Valid keys: {', '.join(names)}")
    if "rule" not in data:
        raise error(f"{origin}: [grammar] needs rule = one of {', '.join(RULES)}")
    kinds = {f.name: f.type for f in dataclasses.fields(GrammarSpec)}
    for key, value in data.items():
        expected = int if kinds[key] == "int" else str
        if isinstance(value, bool) or not isinstance(value, expected):
            raise error(f"{origin}: [grammar] {key} must be {kinds[key]}, got {value!r}")
    grammar = GrammarSpec(**data)
    _check(grammar, origin, error)
    return grammar


def _check(grammar: GrammarSpec, origin: str, error: type[Exception]) -> None:
    def bad(key: str, why: str) -> Exception:
        return error(f"{origin}: [grammar] {key} = {getattr(grammar, key)!r}: {why}")

    if grammar.rule not in RULES:
        raise bad("rule", f"must be one of {', '.join(RULES)}")
    used = grammar.letters()
    for letter in ("A", "B", "R"):
        value = getattr(grammar, letter)
        if letter in used and not value:
            raise error(f"{origin}: [grammar] rule {grammar.rule!r} needs {letter} = a motif (JASPAR ID or TF name)")
        if letter not in used and value:
            raise bad(letter, f"rule {grammar.rule!r} uses only {' and '.join(used)}; remove {letter}")
    if len(set(grammar.motif_of().values())) < len(used):
        raise error(f"{origin}: [grammar] {' and '.join(used)} name the same motif; each letter needs its own")
    if grammar.orientation not in ORIENTATIONS:
        raise bad("orientation", f"must be one of {', '.join(ORIENTATIONS)}")
    if grammar.spacing < 0:
        raise bad("spacing", "must be >= 0 (bp between A's end and B's start)")
    if grammar.max_gap < 1 or grammar.max_gap < grammar.spacing:
        raise bad("max_gap", f"must be >= 1 and >= spacing ({grammar.spacing}); decoy gaps are 0..max_gap except spacing")
    if grammar.margin < 0:
        raise bad("margin", "must be >= 0")
