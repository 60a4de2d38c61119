"""Run files: a benchmark grid declared in a small TOML file.

``pytest benchmark/ --profile path/to/my_run.toml`` runs the grid a run file
declares; the built-in profiles are run files too (``benchmark/runs/*.toml``:
``--profile smoke|default|paper``; ``python -m benchmark runs`` lists them).
Every field but ``tasks`` and ``models`` has a default::

    name = "my_run"                      # default: the file's stem
    base = "smoke"                       # optional: start from another run file (name or path), then override
    tasks = ["smoke", "specs/mine.toml"] # registered task names or spec paths (relative to this file)
    task_settings = { n_eval = 40 }      # optional: spec fields overridden for every task of the grid
    seeds = [0, 1, 2]
    model_profile = "smoke"              # baselines profile sizing and training the models
    methods = ["grad*", "ism"]           # names or fnmatch patterns (default: every method)
    references = ["none", "zeros", "shuffle20"]   # the main grid's references (patterns ok)
    n_eval = 50                          # eval sequences scored per cell
    n_eval_by_kind = { gkmsvm = 20 }
    sanity_n = 10
    fidelity_threshold = 0.75            # models below this test auROC are left out of rankings
    cell_timeout = 600                   # seconds per cell (default 1800; 0: no limit)
    check_tasks = false                  # true: build every task at collection and check n_eval exactly
    skip = [["ism", "gkmsvm"]]           # (method pattern, model kind) pairs left out

    [[models]]                           # one table per model to explain
    id = "basset_k8"
    arch = "basset"                      # a registered architecture ...
    overrides = { kernel_width = 8 }
    tasks = ["smoke"]                    # optional: only these tasks
    [[models]]
    id = "mine"
    file = "my_cnn.keras"                # ... or an architecture file (.keras/.h5/.json/.py), trained per task and seed
    [[models]]
    id = "theirs"
    pretrained = "trained.keras"         # ... or a trained Keras model explained as it is (first seed only)

    [[ablations]]
    name = "reference"
    methods = ["deeplift_rescale"]
    references = ["zeros", "shuffle20"]  # default: every reference the method accepts
    full_params = false
    models = ["basset_k8"]

Reading (`read_run`) parses and checks the file's shape and is cheap (it is
how the built-in profiles load). `prepare` (`benchmark.grid.runcheck`) then puts the
grid in use in this process and validates it against the registries, raising `RunFileError` naming
the run file, the field and, for unknown names, the closest valid ones:
unknown task / architecture / method / reference / model kind, files missing
or named by unset environment variables, ``n_eval`` larger than a task's eval
pool, and methods that explain none of the grid's model kinds.

The eval pool is bounded from the spec alone, without building anything: a
task's eval set holds at most the spec's ``n_eval`` sequences, and a
simplified task at most its test positives. A built genome or FASTA task can
still hold fewer (test positives with a kept motif hit): each result records
``dataset.n_eval_available`` and the number of sequences it scored. With
``check_tasks = true`` the run file asks for the exact check: every task is
built (or loaded from the cache) at collection and ``n_eval`` is compared to
its real eval set.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any

from benchmark.grid.profiles import DEFAULT_FIDELITY_THRESHOLD, Ablation, GridProfile, ModelVariant

RUNS_DIR = Path(__file__).resolve().parents[1] / "runs"

TOP_FIELDS = ("name", "description", "base", "tasks", "task_settings", "models", "seeds", "methods", "references",
              "n_eval", "n_eval_by_kind", "sanity_n", "model_profile", "ablations", "skip", "fidelity_threshold",
              "cell_timeout", "check_tasks")
MODEL_FIELDS = ("id", "arch", "file", "pretrained", "overrides", "tasks", "tags", "kind", "layout", "output", "builder",
                "params")
#: Fields only a PyTorch model file takes (kind = "torch").
TORCH_FIELDS = ("layout", "output", "builder", "params")
MODEL_KINDS_OF_FILES = ("keras", "torch")
ABLATION_FIELDS = ("name", "methods", "references", "full_params", "tasks", "models")


#: A run file that sets no cell_timeout gets this many seconds per cell.
DEFAULT_CELL_TIMEOUT = 1800


class RunFileError(ValueError):
    """A run file is malformed or names something that does not exist."""


def builtin_runs() -> dict[str, Path]:
    """Built-in run files by name (``benchmark/runs/<name>.toml``)."""
    return {path.stem: path for path in sorted(RUNS_DIR.glob("*.toml"))}


def is_run_path(value: str) -> bool:
    """True when a --profile value is a path (ends in .toml or has a folder), not a built-in name."""
    return str(value).endswith(".toml") or os.sep in str(value) or "/" in str(value)


def find_run(name_or_path: str | os.PathLike) -> Path:
    """The run file a --profile value names; RunFileError lists the built-in ones otherwise."""
    text = str(name_or_path)
    runs = builtin_runs()
    if not is_run_path(text):
        if text in runs:
            return runs[text]
        raise RunFileError(f"unknown profile {text!r}{did_you_mean(text, runs)}; valid profiles: {', '.join(runs)} "
                           f"(or the path of a run file, e.g. my_run.toml)")
    path = Path(text).expanduser().resolve()
    if not path.is_file():
        raise RunFileError(f"run file {path} does not exist")
    return path


def run_name(name_or_path: str | os.PathLike) -> str:
    """A run's name (its ``name`` field, or the file's stem) without validating anything else."""
    path = find_run(name_or_path)
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, OSError):
        return path.stem
    return str(data.get("name") or path.stem)


def did_you_mean(name: str, valid) -> str:
    """" (did you mean 'x'?)" for the closest of `valid`, or "" when none is close."""
    close = difflib.get_close_matches(str(name), list(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _read_table(path: Path, seen: tuple = ()) -> dict:
    """The run file's TOML, merged over its ``base`` (top-level keys replace the base's)."""
    if path in seen:
        raise RunFileError(f"{path}: `base` makes a loop ({' -> '.join(map(str, seen + (path,)))})")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise RunFileError(f"{path}: not valid TOML ({error})") from None
    for key in data:
        if key not in TOP_FIELDS:
            raise RunFileError(f"{path}: unknown field {key!r}{did_you_mean(key, TOP_FIELDS)}. Valid fields: {', '.join(TOP_FIELDS)}")
    data = {key: (value, path) for key, value in data.items()}
    if "base" in data:
        base_value = data.pop("base")[0]
        base = find_run(base_value if not is_run_path(base_value) else str(path.parent / base_value))
        merged = _read_table(base, seen + (path,))
        merged.pop("name", None)
        merged.update(data)
        data = merged
    return data


def read_run(name_or_path: str | os.PathLike):
    """Parse a run file into a `benchmark.grid.profiles.GridProfile` (cheap: reads the task specs, builds nothing).

    Relative paths (task specs, model files) are resolved against the folder of
    the file that names them (a ``base`` file's paths against its own folder).
    """
    path = find_run(name_or_path)
    table = _read_table(path)
    where = lambda key: f"{table[key][1] if key in table else path}: field {key!r}"  # noqa: E731
    get = lambda key, default=None: table[key][0] if key in table else default  # noqa: E731

    for key in ("tasks", "models"):
        if key not in table:
            raise RunFileError(f"{path}: missing field {key!r} (a run file names its tasks and its [[models]])")
    task_names, task_refs = _tasks(get("tasks"), table["tasks"][1], where("tasks"))
    settings = _mapping(get("task_settings", {}), where("task_settings"))
    models = tuple(_model(entry, i, table["models"][1], f"{table['models'][1]}: models", ModelVariant)
                   for i, entry in enumerate(_list(get("models"), where("models"), dict)))
    ids = [m.id for m in models]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RunFileError(f"{where('models')}: model id {duplicates[0]!r} is used twice; give each [[models]] its own id")
    ablations = tuple(_ablation(entry, i, f"{table['ablations'][1] if 'ablations' in table else path}: ablations", Ablation)
                      for i, entry in enumerate(_list(get("ablations", []), where("ablations"), dict)))
    skip = tuple(tuple(_list(pair, where("skip"), str)) for pair in _list(get("skip", []), where("skip"), list))
    if any(len(pair) != 2 for pair in skip):
        raise RunFileError(f"{where('skip')}: each entry is [method pattern, model kind], e.g. [\"ism\", \"gkmsvm\"]")
    n_eval_by_kind = {str(k): _int(v, f"{where('n_eval_by_kind')}[{k!r}]", 1) for k, v in
                      _mapping(get("n_eval_by_kind", {}), where("n_eval_by_kind")).items()}
    methods = get("methods")
    timeout = get("cell_timeout", DEFAULT_CELL_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
        raise RunFileError(f"{where('cell_timeout')} = {timeout!r}: seconds per cell, >= 0 (0: no limit)")
    threshold = get("fidelity_threshold", DEFAULT_FIDELITY_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise RunFileError(f"{where('fidelity_threshold')} = {threshold!r}: a test auROC between 0 and 1 (default {DEFAULT_FIDELITY_THRESHOLD})")
    seeds = tuple(_int(s, where("seeds"), 0) for s in _list(get("seeds", [0]), where("seeds"), int))
    if not seeds:
        raise RunFileError(f"{where('seeds')}: give at least one seed")
    return GridProfile(
        name=str(get("name") or path.stem),
        description=str(get("description", "")),
        tasks=tuple(task_names),
        models=models,
        seeds=seeds,
        n_eval=_int(get("n_eval", 200), where("n_eval"), 1),
        sanity_n=_int(get("sanity_n", 50), where("sanity_n"), 0),
        model_profile=str(get("model_profile", "default")),
        main_references=tuple(_list(get("references", ["none", "zeros", "shuffle20"]), where("references"), str)),
        ablations=ablations,
        n_eval_by_kind=n_eval_by_kind,
        skip=skip,
        methods=None if methods is None else tuple(_list(methods, where("methods"), str)),
        fidelity_threshold=float(threshold),
        cell_timeout=float(timeout) or None,
        source=str(path),
        task_refs=tuple(task_refs),
        task_settings=tuple(sorted(settings.items())),
        check_tasks=_bool(get("check_tasks", False), where("check_tasks")),
    )


def _bool(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise RunFileError(f"{where} = {value!r}: must be true or false")
    return value


def _list(value, where: str, kind) -> list:
    if isinstance(value, (str, dict)) or not isinstance(value, list):
        value = [value] if kind is str and isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, kind) and not isinstance(v, bool) for v in value):
        raise RunFileError(f"{where} must be a list of {kind.__name__}s, got {value!r}")
    return value


def _mapping(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise RunFileError(f"{where} must be a table (e.g. {{ key = value }}), got {value!r}")
    return value


def _int(value, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RunFileError(f"{where} = {value!r}: must be an integer >= {minimum}")
    return value


def _tasks(entries, folder_of: Path, where: str) -> tuple[list[str], list[str]]:
    """(task names, references: a registered name or an absolute spec path)."""
    import tasks  # noqa: PLC0415 (light: no TensorFlow)

    names, refs = [], []
    for entry in _list(entries, where, str):
        if is_run_path(entry):
            spec_path = Path(os.path.expanduser(entry))
            spec_path = spec_path if spec_path.is_absolute() else (folder_of.parent / spec_path).resolve()
            if not spec_path.is_file():
                raise RunFileError(f"{where}: task spec {entry!r} ({spec_path}) does not exist; paths are read from "
                                   f"the run file's folder {folder_of.parent}")
            try:
                name = tasks.load_spec(spec_path).name
            except tasks.SpecError as error:
                raise RunFileError(f"{where}: task spec {entry!r}: {error}") from None
            refs.append(str(spec_path))
        else:
            if entry not in tasks.TASKS:
                raise RunFileError(f"{where}: unknown task {entry!r}{did_you_mean(entry, tasks.TASKS.names())}; registered "
                                   f"tasks: {', '.join(tasks.TASKS.names())}, or give the path of a spec file (.toml)")
            name = entry
            refs.append(entry)
        if name in names:
            raise RunFileError(f"{where}: two tasks are called {name!r}; task names must differ (set `name` in the spec)")
        names.append(name)
    if not names:
        raise RunFileError(f"{where}: give at least one task")
    return names, refs


def _model(entry: dict, index: int, folder_of: Path, where: str, ModelVariant) -> Any:
    here = f"{where}[{index}]"
    for key in entry:
        if key not in MODEL_FIELDS:
            raise RunFileError(f"{here}: unknown field {key!r}{did_you_mean(key, MODEL_FIELDS)}. Valid fields: {', '.join(MODEL_FIELDS)}")
    given = [key for key in ("arch", "file", "pretrained") if key in entry]
    if len(given) != 1:
        raise RunFileError(f"{here}: give exactly one of arch (a registered architecture), file (an architecture file) "
                           f"or pretrained (a trained Keras model); got {', '.join(given) or 'none'}")
    how = given[0]
    value = entry[how]
    if not isinstance(value, str) or not value:
        raise RunFileError(f"{here}.{how} must be a non-empty string, got {value!r}")
    source = ""
    if how != "arch":
        file = Path(os.path.expanduser(value))
        source = str(file if file.is_absolute() else (folder_of.parent / file).resolve())
    model_id = entry.get("id") or (value if how == "arch" else Path(value).stem)
    if not isinstance(model_id, str) or not model_id.replace("_", "").isalnum():
        raise RunFileError(f"{here}.id = {model_id!r}: use letters, digits and _ (it names the cells: task-<id>-s0-...)")
    overrides = _mapping(entry.get("overrides", {}), f"{here}.overrides")
    if how == "pretrained" and overrides:
        raise RunFileError(f"{here}.overrides: a pretrained model is explained as it is; it takes no overrides")
    tasks_ = entry.get("tasks")
    kind, torch = _model_kind(entry, how, here, folder_of)
    return ModelVariant(
        id=model_id,
        arch=value if how == "arch" else model_id,
        overrides=tuple(sorted(overrides.items())),
        tasks=None if tasks_ is None else tuple(_list(tasks_, f"{here}.tasks", str)),
        tags=tuple(_list(entry.get("tags", []), f"{here}.tags", str)),
        source=source,
        pretrained=how == "pretrained",
        kind=kind,
        torch=torch,
    )


def _model_kind(entry: dict, how: str, here: str, folder_of: Path) -> tuple[str, tuple]:
    """(kind, torch declarations) of a model entry; torch fields only with ``kind = "torch"`` on a file or pretrained model."""
    kind = entry.get("kind", "keras")
    if kind not in MODEL_KINDS_OF_FILES:
        raise RunFileError(f"{here}.kind = {kind!r}: one of {', '.join(MODEL_KINDS_OF_FILES)}{did_you_mean(kind, MODEL_KINDS_OF_FILES)}")
    given = [key for key in TORCH_FIELDS if key in entry]
    if kind != "torch":
        if given:
            raise RunFileError(f"{here}: {', '.join(given)} describe a PyTorch model; add kind = \"torch\" or remove them")
        return kind, ()
    if how == "arch":
        raise RunFileError(f"{here}: kind = \"torch\" is for a model file (file = ... or pretrained = ...); a registered "
                           "architecture knows its kind (e.g. arch = \"torch_basset\")")
    declared = {key: entry[key] for key in given}
    if "builder" in declared:
        if how != "pretrained":
            raise RunFileError(f"{here}.builder: only a pretrained state dict needs a builder file; a file = ... model is one")
        builder = Path(os.path.expanduser(str(declared["builder"])))
        declared["builder"] = str(builder if builder.is_absolute() else (folder_of.parent / builder).resolve())
    if "params" in declared:
        declared["params"] = tuple(sorted(_mapping(declared["params"], f"{here}.params").items()))
    if isinstance(declared.get("output"), list):
        declared["output"] = tuple(declared["output"])
    return kind, tuple(sorted(declared.items()))


def _ablation(entry: dict, index: int, where: str, Ablation) -> Any:
    here = f"{where}[{index}]"
    for key in entry:
        if key not in ABLATION_FIELDS:
            raise RunFileError(f"{here}: unknown field {key!r}{did_you_mean(key, ABLATION_FIELDS)}. Valid fields: {', '.join(ABLATION_FIELDS)}")
    if "name" not in entry or "methods" not in entry:
        raise RunFileError(f"{here}: an ablation needs a name and methods (patterns)")
    opt = lambda key: None if entry.get(key) is None else tuple(_list(entry[key], f"{here}.{key}", str))  # noqa: E731
    return Ablation(str(entry["name"]), opt("methods"), opt("references"), bool(entry.get("full_params", False)),
                    tasks=opt("tasks"), models=opt("models"))


# --------------------------------------------------------------------------- the built-in runs

PROFILES: dict[str, GridProfile] = {}


def register_profile(profile: GridProfile) -> GridProfile:
    PROFILES[profile.name] = profile
    return profile


def _load_builtin_runs() -> None:
    """The built-in profiles are the run files ``benchmark/runs/*.toml`` (smoke, default, paper)."""
    for name, path in builtin_runs().items():
        register_profile(read_run(path))


def get_profile(name: str) -> GridProfile:
    """The profile `name` (a built-in run file) or the run file at path `name`; ValueError
    (`RunFileError`) listing the valid names otherwise."""
    if not is_run_path(name) and name in PROFILES:
        return PROFILES[name]
    return read_run(find_run(name))


_load_builtin_runs()
