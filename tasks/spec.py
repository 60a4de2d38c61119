"""Task specs: TOML files under ``tasks/specs/`` read into a frozen `TaskSpec`.

A spec says where the sequences come from (``source``), which motif database
to scan them with, how motifs are filtered, and how the simulated dataset is
split. Every field has a default, so a spec only names what differs. An
unknown field is an error that names the file and the field and lists the
valid ones.

Paths in a spec are resolved relative to the spec file's folder; a path
starting with ``janggu:`` points into the resources folder of the installed
``janggu`` wheel (a data carrier only, never imported); ``~`` and
``$VARIABLES`` / ``${VARIABLES}`` are expanded, ``${NAME:-fallback}`` uses the
fallback when NAME is unset (an empty result means "no file", for optional
fields like ``bigwig``), and a path naming an unset variable is an error that
says which variable to set (`unset_variables`).
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.util
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tasks.grammar_spec import GrammarSpec, grammar_from_dict
from tasks.registry import Registry

SPECS_DIR = Path(__file__).resolve().parent / "specs"
#: The built-in tasks: name -> spec file (every ``tasks/specs/*.toml``).
TASKS = Registry("task")
for _path in sorted(SPECS_DIR.glob("*.toml")):
    TASKS.add(_path.stem, _path)
SOURCES = ("simplified", "fasta_pair", "genome_peaks", "grammar")
ENRICHMENT_BACKGROUNDS = ("negatives", "shuffled_positives")
NON_ACGT_POLICIES = ("error", "drop")
MOTIF_PRIORITIES = ("enrichment_lower_bound", "enrichment")
# "simulated": shuffle + paste, with a planted ground truth; "real": the sequences as they are, no ground truth (tasks.real)
KINDS = ("simulated", "real")
PATH_FIELDS = ("positives", "negatives", "genome", "peaks", "background_peaks", "bigwig", "motif_file")
# Fields written as TOML tables (``[grammar]``): not in `valid_fields` (the top-level keys), and left out
# of `TaskSpec.to_dict` when unset, so tasks without them keep their manifests and hashes.
TABLE_FIELDS = ("grammar",)


#: Task name -> spec that a benchmark run file put in use in this process (`use_spec`); looked up
#: before the registered spec files, so cells naming the task find the run file's spec.
RUN_SPECS: dict = {}


def use_spec(spec: "TaskSpec") -> None:
    """Make `load_spec(spec.name)` return `spec` in this process (a run file's task)."""
    RUN_SPECS[spec.name] = spec


class SpecError(ValueError):
    """A task spec is malformed (unknown field, bad value, missing file)."""


@dataclass(frozen=True)
class TaskSpec:
    """One task, mirroring its TOML file field by field.

    Fields are grouped by the step that reads them; see
    ``tasks/specs/paper_template.toml`` for a commented example of each.
    """

    name: str
    description: str = ""
    source: str = "simplified"
    kind: str = "simulated"
    seed: int = 0
    # --- split and eval set
    test_fraction: float = 0.2
    n_eval: int = 300
    # --- fasta_pair source: equal-length sequences, one FASTA per class
    positives: str = ""
    negatives: str = ""
    non_acgt: str = "error"
    # --- genome_peaks source
    genome: str = ""
    peaks: str = ""
    background_peaks: str = ""
    bigwig: str = ""
    region_size: int = 200
    max_positives: int = 0
    max_negatives: int = 0
    # fasta_pair with max_positives and max_negatives: this many more sequences per class from the same
    # files, outside the task's own, simulated with the task's kept motifs and all put in the test split
    # (a larger test set for a small task; its own rows, split and motif filter are unchanged)
    held_out_test_peaks: int = 0
    # --- motif database and scan
    motif_database: str = "jaspar"
    jaspar_release: str = "JASPAR2024"
    jaspar_collection: str = "CORE"
    taxon: str = "vertebrates"
    motif_file: str = ""
    motifs: tuple[str, ...] = ()
    fimo_threshold: float = 1e-4
    # --- enrichment filter and collapse
    min_pos_hits: int = 200
    min_enrichment: float = 4.0
    enrichment_background: str = "negatives"
    collapse: bool = True
    collapse_pvalue: float = 1e-4
    max_motifs: int = 0
    # which of two redundant candidates is kept (and, with max_motifs, which come first):
    # "enrichment_lower_bound" ranks by a 95% lower bound on the ratio, "enrichment" by the ratio itself
    motif_priority: str = "enrichment_lower_bound"
    # --- realistic simulation: paste hits at their original positions (the paper's) or at random ones (a diagnostic)
    hit_positions: str = "original"
    # --- simplified source
    n_positives: int = 1000
    n_negatives: int = 1000
    sequence_length: int = 200
    gc_content: float = 0.4
    min_instances: int = 1
    max_instances: int = 3
    negative_motifs: tuple[str, ...] = ()
    # --- grammar source: the [grammar] table (tasks.grammar_spec.GrammarSpec); positives and negatives
    # are the FASTA files whose shuffles are the backgrounds and whose motif hits are implanted
    grammar: GrammarSpec | None = None
    # --- where the spec came from (not a TOML field)
    spec_path: str = field(default="", compare=False)

    def to_dict(self) -> dict:
        """The spec's fields as plain JSON-able values (without `spec_path`)."""
        out = dataclasses.asdict(self)
        out.pop("spec_path")
        for name in TABLE_FIELDS:
            if out[name] is None:
                out.pop(name)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    def resolve_path(self, field_name: str) -> Path | None:
        """The absolute path of a path field, or None when the field is (or expands to) empty.

        Raises SpecError naming the field and the variable when it uses an unset
        environment variable.
        """
        value = getattr(self, field_name)
        missing = unset_variables(value)
        if missing:
            raise SpecError(
                f"task {self.name!r} ({self.spec_path or 'spec'}): field {field_name!r} = {value!r} uses the "
                f"environment variable{'s' if len(missing) > 1 else ''} {', '.join(missing)}, not set; "
                f"set {' and '.join(missing)} to the file's path (e.g. export {missing[0]}=/path/to/file)"
            )
        value = expand_variables(value)
        if not value:
            return None
        return resolve_path(value, Path(self.spec_path).parent if self.spec_path else Path.cwd())


def valid_fields() -> list[str]:
    """Names accepted in a spec file."""
    return [f.name for f in dataclasses.fields(TaskSpec) if f.name != "spec_path" and f.name not in TABLE_FIELDS]


def janggu_resources() -> Path:
    """The ``resources`` folder of the installed janggu wheel (never imported)."""
    found = importlib.util.find_spec("janggu")
    if found is None or not found.submodule_search_locations:
        raise SpecError(
            "the embedded janggu data is not installed; run `make install` "
            "(it installs janggu==0.10.2 with --no-deps as a data carrier)"
        )
    return Path(list(found.submodule_search_locations)[0]) / "resources"


_VARIABLE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<fallback>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


def unset_variables(value: str) -> list[str]:
    """Environment variables `value` names that are unset and have no ``:-`` fallback."""
    return [m.group("braced") or m.group("bare") for m in _VARIABLE.finditer(value or "")
            if m.group("fallback") is None and (m.group("braced") or m.group("bare")) not in os.environ]


def expand_variables(value: str) -> str:
    """``$NAME``, ``${NAME}`` and ``${NAME:-fallback}`` replaced from the environment (unset: left as is)."""
    def replace(match: re.Match) -> str:
        name = match.group("braced") or match.group("bare")
        if name in os.environ:
            return os.environ[name]
        fallback = match.group("fallback")
        return fallback if fallback is not None else match.group(0)

    return _VARIABLE.sub(replace, value)


def resolve_path(value: str, base: Path) -> Path:
    """Resolve a spec path: ``janggu:NAME``, ``~``, ``$VAR``, relative to `base`."""
    if value.startswith("janggu:"):
        return janggu_resources() / value[len("janggu:") :]
    path = Path(os.path.expanduser(expand_variables(value)))
    return path if path.is_absolute() else (base / path).resolve()


def spec_from_dict(data: dict, origin: str = "<dict>", spec_path: str = "") -> TaskSpec:
    """Build and validate a `TaskSpec` from a parsed TOML mapping.

    Raises
    ------
    SpecError
        Naming `origin` and the offending field, for unknown fields, wrong
        types and values out of range.
    """
    names = valid_fields() + list(TABLE_FIELDS)
    for key in data:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SpecError(
                f"{origin}: unknown field {key!r}.{hint} Valid fields: {', '.join(names)}"
            )
    if "name" not in data:
        raise SpecError(f"{origin}: missing required field 'name'")
    kwargs = {}
    defaults = {f.name: f for f in dataclasses.fields(TaskSpec)}
    for key, value in data.items():
        if key in TABLE_FIELDS:
            kwargs[key] = _grammar_table(value, origin)
            continue
        kwargs[key] = _coerce(key, value, defaults[key], origin)
    spec = TaskSpec(**kwargs, spec_path=spec_path)
    _check_values(spec, origin)
    return spec


def load_spec(name_or_path: str | os.PathLike | TaskSpec) -> TaskSpec:
    """Read a spec by registered name (``"oct4"``) or by path to a TOML file.

    Raises
    ------
    KeyError
        For an unknown task name (lists the valid names).
    SpecError
        For a malformed file.
    """
    if isinstance(name_or_path, TaskSpec):
        return name_or_path
    text = str(name_or_path)
    if text.endswith(".toml") or os.sep in text:
        path = Path(text).expanduser().resolve()
        if not path.exists():
            raise SpecError(f"spec file {path} does not exist")
    else:
        if text in RUN_SPECS:  # a run file's task (benchmark.grid.runfile): already read
            return RUN_SPECS[text]
        path = Path(TASKS[text])
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: not valid TOML ({err})") from None
    return spec_from_dict(data, origin=str(path), spec_path=str(path))


def _grammar_table(value, origin: str) -> GrammarSpec:
    return grammar_from_dict(value, origin, SpecError)


def _coerce(key: str, value, default_field, origin: str):
    kind = default_field.type
    if kind in ("tuple[str, ...]",):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SpecError(f"{origin}: field {key!r} must be a list of strings, got {value!r}")
        return tuple(value)
    expected = {"str": str, "int": int, "float": (int, float), "bool": bool}[kind]
    if isinstance(value, bool) and kind != "bool":
        raise SpecError(f"{origin}: field {key!r} must be {kind}, got {value!r}")
    if not isinstance(value, expected):
        raise SpecError(f"{origin}: field {key!r} must be {kind}, got {value!r}")
    return float(value) if kind == "float" else value


def _check_values(spec: TaskSpec, origin: str) -> None:
    def bad(field_name: str, why: str) -> SpecError:
        return SpecError(f"{origin}: field {field_name!r} = {getattr(spec, field_name)!r}: {why}")

    if spec.source not in SOURCES:
        raise bad("source", f"must be one of {', '.join(SOURCES)}")
    if spec.kind not in KINDS:
        raise bad("kind", f"must be one of {', '.join(KINDS)}")
    if spec.kind == "real":
        _check_real(spec, bad)
    if spec.enrichment_background not in ENRICHMENT_BACKGROUNDS:
        raise bad("enrichment_background", f"must be one of {', '.join(ENRICHMENT_BACKGROUNDS)}")
    if spec.hit_positions not in ("original", "random"):
        raise bad("hit_positions", "must be 'original' (the paper's) or 'random' (hits pasted at random non-overlapping positions)")
    if spec.motif_priority not in MOTIF_PRIORITIES:
        raise bad("motif_priority", f"must be one of {', '.join(MOTIF_PRIORITIES)}")
    if spec.non_acgt not in NON_ACGT_POLICIES:
        raise bad("non_acgt", f"must be one of {', '.join(NON_ACGT_POLICIES)}")
    if spec.motif_database not in ("jaspar", "meme"):
        raise bad("motif_database", "must be 'jaspar' or 'meme' (then set motif_file)")
    if spec.motif_database == "meme" and not spec.motif_file:
        raise bad("motif_file", "motif_database = 'meme' needs motif_file = path to a MEME-format file")
    if not 0.0 < spec.test_fraction < 1.0:
        raise bad("test_fraction", "must be between 0 and 1")
    if not 0.0 < spec.gc_content < 1.0:
        raise bad("gc_content", "must be between 0 and 1")
    if not 0.0 < spec.fimo_threshold < 1.0:
        raise bad("fimo_threshold", "must be a p-value between 0 and 1")
    for name in ("n_eval", "region_size", "sequence_length", "n_positives"):
        if getattr(spec, name) <= 0:
            raise bad(name, "must be positive")
    for name in ("n_negatives", "max_positives", "max_negatives", "held_out_test_peaks", "min_pos_hits", "max_motifs",
                 "min_instances"):
        if getattr(spec, name) < 0:
            raise bad(name, "must be >= 0")
    if spec.max_instances < spec.min_instances:
        raise bad("max_instances", f"must be >= min_instances ({spec.min_instances})")
    if spec.source == "simplified" and spec.max_instances < 1:
        raise bad("max_instances", "a simplified task needs at least one motif instance per positive")
    if spec.source == "simplified" and not spec.motifs:
        raise bad("motifs", "a simplified task needs a list of motifs to implant (JASPAR IDs or names)")
    if spec.source == "fasta_pair":
        for name in ("positives", "negatives"):
            if not getattr(spec, name):
                raise bad(name, "a fasta_pair task needs both positives and negatives FASTA paths")
    if spec.held_out_test_peaks and not (spec.source == "fasta_pair" and spec.max_positives and spec.max_negatives):
        raise bad("held_out_test_peaks", "needs source = 'fasta_pair' with max_positives and max_negatives set "
                  "(the held-out sequences are the ones those caps leave out)")
    if spec.source == "grammar" or spec.grammar is not None:
        _check_grammar_source(spec, bad)
    if spec.source == "genome_peaks":
        for name in ("genome", "peaks", "background_peaks"):
            if not getattr(spec, name):
                raise bad(name, "a genome_peaks task needs genome, peaks and background_peaks paths")


def _check_real(spec: TaskSpec, bad) -> None:
    """A real task reads sequences as they are: a FASTA pair or genome + peaks, nothing simulated."""
    if spec.source == "simplified":
        raise bad("source", "kind = 'real' needs real sequences: source = 'fasta_pair' or 'genome_peaks'")
    if spec.held_out_test_peaks:
        raise bad("held_out_test_peaks", "not used by kind = 'real' (its test split already holds real sequences); remove it")
    if spec.hit_positions != "original":
        raise bad("hit_positions", "kind = 'real' pastes nothing; remove it")


def _check_grammar_source(spec: TaskSpec, bad) -> None:
    """A grammar task needs its [grammar] table, both FASTA files and both class sizes; no other task has the table."""
    if spec.source != "grammar":
        raise bad("source", "a [grammar] table needs source = 'grammar' (remove the table for other sources)")
    if spec.grammar is None:
        raise SpecError(f"{spec.spec_path or spec.name}: source = 'grammar' needs a [grammar] table "
                        "(rule = 'and' | 'or' | 'spacing' | 'repressor', A = ..., B = ... or R = ...)")
    for name in ("positives", "negatives"):
        if not getattr(spec, name):
            raise bad(name, "a grammar task needs positives and negatives FASTA paths (their shuffles are the "
                      "backgrounds and their motif hits the planted instances)")
    if spec.n_negatives <= 0:
        raise bad("n_negatives", "a grammar task needs negatives (they carry the decoys)")
