"""The registry of attribution methods and references, and the one call that runs them.

A method is one decorated function::

    @register_method(
        "integrated_gradients",
        model_kinds=("keras",),
        references=("zeros", "avg_composition", "shuffle10", "shuffle20"),
        params={"steps": (10, 20, 50)},
        promises_delta=True,
        description="Riemann-sum path integral of gradients from each reference to the input",
    )
    def integrated_gradients(model, X, references, *, steps=20, batch_size=128, seed=0):
        ...
        return hypothetical  # (N, L, 4)

Contract
--------
- ``model``: a `baselines.model.TrainedModel`; ``X``: (N, L, 4) float32 one-hot;
  ``references``: (N, R, L, 4) float32 (R references per input) or None when the
  method's references are ``("none",)``.
- Returns (N, L, 4) float32 *hypothetical contributions*: entry [n, i, b] is what
  position i would contribute if its base were b. The harness scores position i
  by the entry at the observed base, ``(out * X).sum(-1)`` (``projection="observed"``),
  or, for saliency-style methods, by ``abs(out).max(-1)`` (``projection="max_abs"``).
  A method that only has one score per position repeats it over the four bases.
- With several references, return the mean over references.
- ``promises_delta=True`` means: summed over positions at the observed base, the
  output equals mean_r [f(x) - f(ref_r)] for the logit f. `attribute` measures how
  far each cell misses this (its convergence error).
- ``excluded``: optional reasons for the model kinds and references a method
  does not accept, e.g. ``{"shuffle50": "cost"}``; `MethodSpec.accepts` and
  ``motifbench methods list`` show them.
- ``needs``: names of task context the method takes as keyword arguments, e.g.
  ``("motifs",)`` for a PWM scan; `attribute` passes them from its ``context``
  dict. Known keys: "motifs" (name -> (w, 4) frequency matrix of the task's kept
  motifs).

A reference is one decorated function ``fn(X, *, seed) -> (N, R, L, 4)``.

The contract is checked when a method registers (`check_contract`), so a typo
fails at import with the method and the name, not later inside a cell: every
reference is registered, ``none`` or a ``shuffle<k>`` (k dinucleotide
shuffles, any k >= 1); every model kind exists (`MODEL_KINDS`); every declared
parameter and every ``needs`` name is a keyword of the function; the function
accepts ``seed``; a declared parameter's values are a non-empty tuple.
"""

from __future__ import annotations

import difflib
import inspect
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from methods.references import NO_REFERENCE, REFERENCES, SHUFFLE_FAMILY, dinucleotide_shuffles, known_reference, register_reference
from tasks.registry import Registry

METHODS = Registry("method")
PROJECTIONS = ("observed", "max_abs")
MODEL_KINDS = ("keras", "gkmsvm", "torch")  # baselines.model.KERAS, GKMSVM, TORCH (not imported: baselines is heavier)


class ContractError(ValueError):
    """A method's declaration does not match its function or the registries."""



def check_contract(name: str, fn: Callable, model_kinds: tuple, references: tuple, params: dict, needs: tuple) -> None:
    """Raise ContractError naming the method and what to fix (see the module docstring)."""
    where = f"method {name!r} ({getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')})"
    if not model_kinds:
        raise ContractError(f"{where}: model_kinds is empty; declare at least one of {MODEL_KINDS}")
    unknown_kinds = [k for k in model_kinds if k not in MODEL_KINDS]
    if unknown_kinds:
        raise ContractError(f"{where}: unknown model kind(s) {unknown_kinds} in model_kinds; valid: {', '.join(MODEL_KINDS)}")
    if not references:
        raise ContractError(f"{where}: references is empty; use ({NO_REFERENCE!r},) for a method without references")
    unknown_refs = [r for r in references if not known_reference(r)]
    if unknown_refs:
        valid = sorted({*REFERENCES.names(), NO_REFERENCE, "shuffle<k>"})
        close = difflib.get_close_matches(unknown_refs[0], valid, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ContractError(f"{where}: unknown reference(s) {unknown_refs} in references{hint}; valid: {', '.join(valid)}")
    try:
        signature = inspect.signature(fn).parameters
    except (TypeError, ValueError) as error:
        raise ContractError(f"{where}: cannot read the function's signature ({error})") from None
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.values())
    keywords = {k for k, p in signature.items() if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)}
    if not takes_any:
        for label, names in (("declared param", list(params)), ("needs name", list(needs)), ("required keyword", ["seed"])):
            missing = [n for n in names if n not in keywords]
            if missing:
                raise ContractError(f"{where}: {label} {missing} is not a keyword of the function; "
                                    f"add it to the signature (keywords: {', '.join(sorted(keywords)) or 'none'})")
    empty = [k for k, values in params.items() if not isinstance(values, (tuple, list)) or not values]
    if empty:
        raise ContractError(f"{where}: params {empty} need a non-empty tuple of values")


@dataclass(frozen=True)
class MethodSpec:
    """What a method declares about itself."""

    name: str
    fn: Callable[..., np.ndarray]
    model_kinds: tuple[str, ...]
    references: tuple[str, ...]
    params: dict[str, tuple] = field(default_factory=dict)
    promises_delta: bool = False
    projection: str = "observed"
    description: str = ""
    needs: tuple[str, ...] = ()
    excluded: dict[str, str] = field(default_factory=dict)

    def accepts(self, model_kind: str, reference: str) -> tuple[bool, str]:
        """(ok, reason) for running this method on a model kind with a reference."""
        if model_kind not in self.model_kinds:
            why = f" ({self.excluded[model_kind]})" if model_kind in self.excluded else ""
            return False, f"{self.name} explains {', '.join(self.model_kinds)} models, not {model_kind}{why}"
        if reference not in self.references:
            why = f" ({self.excluded[reference]})" if reference in self.excluded else ""
            return False, f"{self.name} accepts references {', '.join(self.references)}, not {reference}{why}"
        return True, ""

    def param_grid(self) -> list[dict[str, Any]]:
        """Every combination of the declared parameter values (one empty dict if none)."""
        grid: list[dict[str, Any]] = [{}]
        for key, values in self.params.items():
            grid = [{**combo, key: value} for combo in grid for value in values]
        return grid


def register_method(
    name: str,
    *,
    model_kinds: tuple[str, ...] = ("keras",),
    references: tuple[str, ...] = (NO_REFERENCE,),
    params: dict[str, tuple] | None = None,
    promises_delta: bool = False,
    projection: str = "observed",
    description: str = "",
    needs: tuple[str, ...] = (),
    excluded: dict[str, str] | None = None,
) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Register an attribution method (see the module docstring for the contract).

    ``excluded`` maps a model kind or reference the method does *not* accept to
    the reason (shown by ``motifbench methods list`` and in skip messages).
    """
    if projection not in PROJECTIONS:
        raise ValueError(f"method {name!r}: projection must be one of {PROJECTIONS}, got {projection!r}")

    def decorate(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        check_contract(name, fn, tuple(model_kinds), tuple(references), dict(params or {}), tuple(needs))
        spec = MethodSpec(
            name=name,
            fn=fn,
            model_kinds=tuple(model_kinds),
            references=tuple(references),
            params={k: tuple(v) for k, v in (params or {}).items()},
            promises_delta=promises_delta,
            projection=projection,
            description=description or _first_line(fn.__doc__),
            needs=tuple(needs),
            excluded=dict(excluded or {}),
        )
        METHODS.add(name, spec)
        return fn

    return decorate


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""



class AttributionError(RuntimeError):
    """A method failed, or returned something unusable, for one cell."""


@dataclass
class Attribution:
    """The outcome of one method on one model, reference and parameter set."""

    method: str
    reference: str
    params: dict
    hypothetical: np.ndarray  # (N, L, 4)
    scores: np.ndarray  # (N, L), projected per the method's declaration
    seconds: float  # wall seconds of the method alone (one-time model setup excluded)
    convergence_error: float | None = None  # relative; None when not promised
    cpu_seconds: float | None = None  # CPU seconds of the method alone, all threads of the process
    setup_seconds: tuple[float, float] = (0.0, 0.0)  # (wall, CPU) of one-time model setup during the call


# (wall, CPU) seconds spent in `model_setup` blocks in this process so far.
_SETUP_SECONDS = [0.0, 0.0]


@contextmanager
def model_setup():
    """Mark one-time per-model work inside a method (converting a model for deeplift or shap).

    `attribute` books it as setup, not as the method's time: the first cell of a
    model pays it once, and it belongs to the model, not to that cell's method.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        _SETUP_SECONDS[0] += time.perf_counter() - wall
        _SETUP_SECONDS[1] += time.process_time() - cpu


def setup_seconds() -> tuple[float, float]:
    """(wall, CPU) seconds this process has spent in `model_setup` blocks so far."""
    return float(_SETUP_SECONDS[0]), float(_SETUP_SECONDS[1])  # plain floats: xdist ships budgets


def project(hypothetical: np.ndarray, X: np.ndarray, projection: str = "observed") -> np.ndarray:
    """One score per position. (N, L, 4), (N, L, 4) -> (N, L)."""
    if projection == "observed":
        return (hypothetical * X).sum(-1)
    if projection == "max_abs":
        return np.abs(hypothetical).max(-1)
    raise ValueError(f"unknown projection {projection!r}; expected one of {PROJECTIONS}")


def make_references(reference: str, X: np.ndarray, seed: int = 0) -> np.ndarray | None:
    """The (N, R, L, 4) references of a registered reference name (None for "none")."""
    if reference == NO_REFERENCE:
        return None
    family = SHUFFLE_FAMILY.match(reference)
    if family and reference not in REFERENCES:  # shuffle<k> for a k not registered by name

        return dinucleotide_shuffles(X, int(family.group(1)), seed=seed)
    refs = np.asarray(REFERENCES[reference](X, seed=seed), dtype=np.float32)
    if refs.ndim != 4 or refs.shape[0] != X.shape[0] or refs.shape[2:] != X.shape[1:]:
        raise AttributionError(f"reference {reference!r} returned shape {refs.shape}; expected (N, R, L, 4) for X {X.shape}")
    return refs


def attribute(
    method: str,
    model: Any,
    X: np.ndarray,
    reference: str = NO_REFERENCE,
    params: dict | None = None,
    seed: int = 0,
    context: dict | None = None,
    **options: Any,
) -> Attribution:
    """Run one method-reference-parameter cell and validate what it returns.

    X: (N, L, 4) float32 one-hot. Raises AttributionError naming the cell when
    the method raises, returns the wrong shape, or returns NaN/inf.
    """
    spec: MethodSpec = METHODS[method]
    params = dict(params or {})
    cell = f"{method}[{reference}{''.join(f',{k}={v}' for k, v in sorted(params.items()))}] on {getattr(model, 'name', model)}"
    ok, reason = spec.accepts(model.kind, reference)
    if not ok:
        raise AttributionError(f"{cell}: {reason}")
    missing = [key for key in spec.needs if key not in (context or {})]
    if missing:
        raise AttributionError(f"{cell}: needs task context {missing}; pass context={{...}} to attribute()")
    options.update({key: context[key] for key in spec.needs})
    X = np.asarray(X, dtype=np.float32)
    references = make_references(reference, X, seed=seed)
    setup_before = tuple(_SETUP_SECONDS)
    start, cpu_start = time.perf_counter(), time.process_time()
    try:
        out = spec.fn(model, X, references, seed=seed, **params, **options)
    except Exception as error:  # a failing method becomes a failed cell, with its message
        raise AttributionError(f"{cell} raised {type(error).__name__}: {error}") from error
    setup = (_SETUP_SECONDS[0] - setup_before[0], _SETUP_SECONDS[1] - setup_before[1])
    seconds = time.perf_counter() - start - setup[0]
    cpu_seconds = time.process_time() - cpu_start - setup[1]
    out = np.asarray(out, dtype=np.float32)
    if out.shape != X.shape:
        raise AttributionError(f"{cell} returned shape {out.shape}; expected {X.shape} (N, L, 4)")
    bad = ~np.isfinite(out)
    if bad.any():
        n_bad = int(bad.any(axis=(1, 2)).sum())
        raise AttributionError(f"{cell} returned NaN or inf in {n_bad} of {len(X)} sequences")
    scores = project(out, X, spec.projection)
    error = None
    if spec.promises_delta:
        error = convergence_error(model, X, references, out)
    return Attribution(method, reference, params, out, scores, seconds, error, cpu_seconds, setup)


def convergence_error(model: Any, X: np.ndarray, references: np.ndarray | None, hypothetical: np.ndarray) -> float:
    """Mean |sum of contributions - (f(x) - mean_r f(ref_r))| / mean |f(x) - mean_r f(ref_r)|."""
    fx = model.predict_logit(X)
    if references is None:
        fref = np.zeros_like(fx)
    else:
        n, r = references.shape[:2]
        fref = model.predict_logit(references.reshape(n * r, *references.shape[2:])).reshape(n, r).mean(1)
    delta = fx - fref
    total = (hypothetical * X).sum(axis=(1, 2))
    scale = float(np.mean(np.abs(delta)))
    return float(np.mean(np.abs(total - delta)) / scale) if scale > 0 else float(np.mean(np.abs(total - delta)))
