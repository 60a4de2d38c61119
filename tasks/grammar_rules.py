"""Grammar rules: labels, configurations, and signed role-aware ground truth (pure functions).

A grammar task's sequences carry instances of two motifs, written as letters:
A and B, or A (activator) and R (repressor). The rule (`tasks.grammar_spec.RULES`)
decides the label from the instances a sequence carries:

- ``and``: positive when an A and a B both occur;
- ``or``: positive when an A or a B occurs (the control: localisation and logic agree);
- ``spacing``: positive when some B starts exactly `spacing` bp after an A ends,
  read on that A's strand, with B on the same strand as A (``orientation = "same"``)
  or the opposite one;
- ``repressor``: positive when an A occurs and no R does (R cancels A).

Configurations (`CONFIGURATIONS`) are what each class carries, drawn with the
weights given; negatives carry the rule's motifs in arrangements that break
the rule (decoys), so finding the motifs alone cannot separate the classes:

====================  ====================================  ==========================================
rule                  positives                             negatives
====================  ====================================  ==========================================
and                   A + B                                 A, B, A + A, B + B (1/4 each)
or                    A, B, A + B (1/3 each)                none (shuffled background only)
spacing               the pair at the rule's gap            wrong gap (any other in 0..max_gap),
                      and orientation                       wrong orientation, wrong order (1/3 each)
repressor             A                                     A + R (1/2), R (1/4), none (1/4)
====================  ====================================  ==========================================

The spacing pair is laid out on a random strand of the sequence (its mirror
image read on the other strand is the same arrangement), so absolute strand
carries no signal.

Roles come from the rule itself. For one sequence with instances 1..K, the
game v(S) = 1 if the subset S of its instances satisfies the rule, else 0,
gives each instance its exact Shapley value phi_i (`shapley_values`): its
average marginal effect on the rule over all orders of adding instances to
an empty background. The expected sign of an instance's contribution is
sign(phi_i), and its role:

- SATISFYING (1): phi > 0 in a positive (A and B of an AND pair: phi = 1/2 each);
- DECOY (2): phi = 0 (an A without a B, a pair at a wrong gap, an R with no A to cancel);
- REPRESSOR (3): phi < 0, a repressor acting (R beside an A: phi = -1/2);
- CANCELLED (4): phi > 0 in a negative (the A an acting R cancels: phi = +1/2).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

NONE, SATISFYING, DECOY, REPRESSOR, CANCELLED = 0, 1, 2, 3, 4
ROLE_NAMES = {NONE: "none", SATISFYING: "satisfying", DECOY: "decoy", REPRESSOR: "repressor", CANCELLED: "cancelled"}

#: One row per planted instance. ``seq``/``motif``/``start``/``end``/``strand``/``score`` as in
#: `tasks.dataset.HIT_DTYPE`; ``letter`` the rule's letter (A, B, R); ``role`` and ``sign`` (-1, 0, +1)
#: the role and expected sign of its contribution; ``shapley`` its Shapley value under the rule;
#: ``src``, ``src_start``, ``src_strand`` the source sequence (row of the concatenated positive and
#: negative FASTA files), start and strand of the FIMO hit whose bases were implanted.
INSTANCE_DTYPE = np.dtype([
    ("seq", "i4"), ("motif", "U64"), ("letter", "U1"), ("start", "i4"), ("end", "i4"), ("strand", "U1"),
    ("score", "f4"), ("role", "i1"), ("sign", "i1"), ("shapley", "f4"),
    ("src", "i4"), ("src_start", "i4"), ("src_strand", "U1"),
])

#: rule -> label -> ((configuration, weight), ...). A configuration is a string of letters (each
#: instance placed on its own), or for the spacing rule the name of a pair arrangement.
CONFIGURATIONS = {
    "and": {1: (("AB", 1),), 0: (("A", 1), ("B", 1), ("AA", 1), ("BB", 1))},
    "or": {1: (("A", 1), ("B", 1), ("AB", 1)), 0: (("", 1),)},
    "spacing": {1: (("pair", 1),), 0: (("wrong_gap", 1), ("wrong_orientation", 1), ("wrong_order", 1))},
    "repressor": {1: (("A", 1),), 0: (("AR", 2), ("R", 1), ("", 1))},
}
PAIR_ARRANGEMENTS = ("pair", "wrong_gap", "wrong_orientation", "wrong_order")


def pair_follows(a: tuple, b: tuple, spacing: int, orientation: str) -> bool:
    """Whether instance `b` follows `a` as the spacing rule asks.

    a, b: (letter, start, end, strand), 0-based half-open. True when b's strand
    relation to a is `orientation` ("same" / "opposite") and b starts exactly
    `spacing` bp after a's end, read on a's strand.

    Example: a = ("A", 10, 17, "+"), b = ("B", 21, 31, "+"): gap 21 - 17 = 4, so
    True for spacing 4, "same". Its mirror a = ("A", 50, 57, "-"), b = ("B", 36, 46, "-")
    (gap 50 - 46 = 4, read on the minus strand) is True too.
    """
    same = a[3] == b[3]
    if same != (orientation == "same"):
        return False
    gap = b[1] - a[2] if a[3] == "+" else a[1] - b[2]
    return gap == spacing


def satisfies(rule: str, instances: list[tuple], spacing: int = 0, orientation: str = "same") -> bool:
    """Whether a sequence with these instances is positive under `rule`.

    instances: (letter, start, end, strand) tuples of one sequence.
    """
    letters = [inst[0] for inst in instances]
    if rule == "and":
        return "A" in letters and "B" in letters
    if rule == "or":
        return "A" in letters or "B" in letters
    if rule == "repressor":
        return "A" in letters and "R" not in letters
    if rule == "spacing":
        return any(pair_follows(a, b, spacing, orientation)
                   for a in instances if a[0] == "A" for b in instances if b[0] == "B")
    raise ValueError(f"unknown rule {rule!r}; valid: {', '.join(CONFIGURATIONS)}")


def shapley_values(rule: str, instances: list[tuple], spacing: int = 0, orientation: str = "same") -> np.ndarray:
    """(K,) exact Shapley values of the rule game v(S) = satisfies(S) over one sequence's K instances.

    Worked example, AND with instances [A, B]: v({}) = v({A}) = v({B}) = 0 and
    v({A, B}) = 1, so phi_A = 1/2 (0 when added first, 1 when added second) and phi_B = 1/2.
    Repressor with [A, R]: v({A}) = 1, v({R}) = v({A, R}) = 0: phi_A = +1/2, phi_R = -1/2.
    """
    k = len(instances)
    values = np.zeros(k, dtype=np.float64)
    cache: dict[tuple, float] = {}

    def v(subset: tuple) -> float:
        if subset not in cache:
            cache[subset] = float(satisfies(rule, [instances[i] for i in subset], spacing, orientation))
        return cache[subset]

    for i in range(k):
        others = [j for j in range(k) if j != i]
        for size in range(k):
            weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            for subset in itertools.combinations(others, size):
                values[i] += weight * (v(tuple(sorted(subset + (i,)))) - v(subset))
    return values


def roles_from_shapley(label: int, shapley: np.ndarray, tolerance: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """(role (K,) int8, sign (K,) int8) of one sequence's instances from their Shapley values and its label."""
    sign = np.where(shapley > tolerance, 1, np.where(shapley < -tolerance, -1, 0)).astype(np.int8)
    role = np.where(sign == 0, DECOY, np.where(sign < 0, REPRESSOR, SATISFYING if label == 1 else CANCELLED))
    return role.astype(np.int8), sign


def draw_configuration(rule: str, label: int, rng: np.random.Generator) -> str:
    """One configuration of `rule` for a sequence of class `label`, drawn with `CONFIGURATIONS`' weights."""
    options = CONFIGURATIONS[rule][label]
    weights = np.array([w for _, w in options], dtype=np.float64)
    return options[int(rng.choice(len(options), p=weights / weights.sum()))][0]


def pair_block(arrangement: str, widths: dict[str, int], spacing: int, orientation: str, max_gap: int,
               rng: np.random.Generator) -> tuple[int, list[tuple]]:
    """The A-B pair of the spacing rule as one block: (block width, [(letter, offset, strand), ...]).

    arrangement: "pair" (the rule's gap and orientation), "wrong_gap" (a gap drawn
    from 0..max_gap other than `spacing`), "wrong_orientation" (the rule's gap, B on
    the other strand), "wrong_order" (the rule's gap and orientation, B before A).
    The block is laid out on A's strand "+" and then, half of the time, mirrored
    (offsets reflected, strands flipped): the same arrangement on the other strand.
    """
    if arrangement not in PAIR_ARRANGEMENTS:
        raise ValueError(f"unknown pair arrangement {arrangement!r}; valid: {', '.join(PAIR_ARRANGEMENTS)}")
    gap = spacing
    if arrangement == "wrong_gap":
        gaps = [g for g in range(max_gap + 1) if g != spacing]
        gap = gaps[int(rng.integers(len(gaps)))]
    b_strand = "+" if orientation == "same" else "-"
    if arrangement == "wrong_orientation":
        b_strand = "-" if b_strand == "+" else "+"
    w_a, w_b = widths["A"], widths["B"]
    if arrangement == "wrong_order":
        parts = [("B", 0, b_strand), ("A", w_b + gap, "+")]
    else:
        parts = [("A", 0, "+"), ("B", w_a + gap, b_strand)]
    width = w_a + w_b + gap
    if rng.random() < 0.5:
        flip = {"+": "-", "-": "+"}
        parts = [(letter, width - offset - widths[letter], flip[strand]) for letter, offset, strand in parts]
    return width, sorted(parts, key=lambda part: part[1])
