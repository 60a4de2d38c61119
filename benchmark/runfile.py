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
    cell_timeout = 600                   # seconds per cell (0: no limit)
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
how the built-in profiles load). `prepare` then puts the grid in use in this
process and validates it against the registries, raising `RunFileError` naming
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

import dataclasses
import difflib
import fnmatch
import os
import tomllib
from pathlib import Path
from typing import Any

RUNS_DIR = Path(__file__).resolve().parent / "runs"

TOP_FIELDS = ("name", "description", "base", "tasks", "task_settings", "models", "seeds", "methods", "references",
              "n_eval", "n_eval_by_kind", "sanity_n", "model_profile", "ablations", "skip", "fidelity_threshold",
              "cell_timeout", "check_tasks")
MODEL_FIELDS = ("id", "arch", "file", "pretrained", "overrides", "tasks", "tags")
ABLATION_FIELDS = ("name", "methods", "references", "full_params", "tasks", "models")


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
        raise RunFileError(f"unknown profile {text!r}{_hint(text, runs)}; valid profiles: {', '.join(runs)} "
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


def _hint(name: str, valid) -> str:
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
            raise RunFileError(f"{path}: unknown field {key!r}{_hint(key, TOP_FIELDS)}. Valid fields: {', '.join(TOP_FIELDS)}")
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
    """Parse a run file into a `benchmark.profiles.GridProfile` (cheap: reads the task specs, builds nothing).

    Relative paths (task specs, model files) are resolved against the folder of
    the file that names them (a ``base`` file's paths against its own folder).
    """
    from benchmark.profiles import Ablation, GridProfile, ModelVariant  # noqa: PLC0415

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
    timeout = get("cell_timeout", 0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
        raise RunFileError(f"{where('cell_timeout')} = {timeout!r}: seconds per cell, >= 0 (0: no limit)")
    threshold = get("fidelity_threshold", 0.75)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise RunFileError(f"{where('fidelity_threshold')} = {threshold!r}: a test auROC between 0 and 1 (default 0.75)")
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
                raise RunFileError(f"{where}: unknown task {entry!r}{_hint(entry, tasks.TASKS.names())}; registered "
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
            raise RunFileError(f"{here}: unknown field {key!r}{_hint(key, MODEL_FIELDS)}. Valid fields: {', '.join(MODEL_FIELDS)}")
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
    return ModelVariant(
        id=model_id,
        arch=value if how == "arch" else model_id,
        overrides=tuple(sorted(overrides.items())),
        tasks=None if tasks_ is None else tuple(_list(tasks_, f"{here}.tasks", str)),
        tags=tuple(_list(entry.get("tags", []), f"{here}.tags", str)),
        source=source,
        pretrained=how == "pretrained",
    )


def _ablation(entry: dict, index: int, where: str, Ablation) -> Any:
    here = f"{where}[{index}]"
    for key in entry:
        if key not in ABLATION_FIELDS:
            raise RunFileError(f"{here}: unknown field {key!r}{_hint(key, ABLATION_FIELDS)}. Valid fields: {', '.join(ABLATION_FIELDS)}")
    if "name" not in entry or "methods" not in entry:
        raise RunFileError(f"{here}: an ablation needs a name and methods (patterns)")
    opt = lambda key: None if entry.get(key) is None else tuple(_list(entry[key], f"{here}.{key}", str))  # noqa: E731
    return Ablation(str(entry["name"]), opt("methods"), opt("references"), bool(entry.get("full_params", False)),
                    tasks=opt("tasks"), models=opt("models"))


# --------------------------------------------------------------------------- prepare and validate


def prepare(profile, methods=None):
    """Put `profile`'s grid in use in this process, validate it (RunFileError on any problem), return it.

    Registers its tasks (with ``task_settings`` applied) so cells find them by
    name, and its architecture files and pretrained models; then checks every
    name against the registries (``methods``: the method registry, default
    `methods.METHODS`), the task files and variables, and ``n_eval``.
    """
    where = profile.source or profile.name
    specs = _use_tasks(profile, where)
    profile = dataclasses.replace(profile, models=tuple(_register_model(v, where) for v in profile.models))
    if methods is None:
        import methods as methods_package  # noqa: PLC0415

        methods = methods_package.METHODS
    validate(profile, methods, specs, where)
    return profile


def _use_tasks(profile, where: str) -> dict:
    import tasks  # noqa: PLC0415
    from benchmark import keys  # noqa: PLC0415
    from tasks.builder import source_files  # noqa: PLC0415
    from tasks.spec import PATH_FIELDS, spec_from_dict, unset_variables, use_spec  # noqa: PLC0415

    specs, unset = {}, []
    for name, ref in zip(profile.tasks, profile.task_refs or profile.tasks):
        # a name is read from its registered file (not from an earlier run file's version of it)
        spec = tasks.load_spec(ref if is_run_path(ref) else str(tasks.TASKS[ref]))
        if profile.task_settings:
            data = {**spec.to_dict(), **dict(profile.task_settings)}
            try:
                spec = spec_from_dict(data, origin=f"{where}: task_settings (task {name!r})", spec_path=spec.spec_path)
            except tasks.SpecError as error:
                raise RunFileError(str(error)) from None
        specs[name] = spec
        for field in PATH_FIELDS:
            unset += [(name, field, variable) for variable in unset_variables(getattr(spec, field))]
    if unset:
        listing = "; ".join(f"{variable} (task {task!r}, field {field!r}: {_role(field)})" for task, field, variable in unset)
        first = unset[0][2]
        raise RunFileError(
            f"{where}: environment variables not set: {listing}. Set them to your files, e.g. "
            f"`export {first}=/path/to/file`, or copy the run file and its task spec and write the paths in"
        )
    for name, spec in specs.items():
        try:
            source_files(spec)  # every named file exists (SpecError says which and what it should hold)
        except tasks.SpecError as error:
            raise RunFileError(f"{where}: {error}") from None
        use_spec(spec)
    keys.task_key.cache_clear()
    keys.model_key.cache_clear()
    return specs


def _role(field: str) -> str:
    from tasks.builder import _FILE_ROLES  # noqa: PLC0415

    return _FILE_ROLES.get(field, field)


def _register_model(variant, where: str):
    """Register a model file's architecture or pretrained model; the variant with its architecture name."""
    from baselines import byo  # noqa: PLC0415

    if not variant.source:
        return variant
    try:
        if variant.pretrained:
            return dataclasses.replace(variant, arch=byo.register_pretrained(variant.id, variant.source))
        # a Python file registers its builder under its own name
        return dataclasses.replace(variant, arch=byo.register_architecture_file(variant.id, variant.source))
    except (OSError, ValueError) as error:
        raise RunFileError(f"{where}: model {variant.id!r}: {error}") from None


def validate(profile, methods, specs: dict, where: str) -> None:
    """The name, kind and size checks of `prepare` (see the module docstring)."""
    from baselines.architectures import ARCHITECTURES, arch_kind  # noqa: PLC0415
    from baselines.profiles import PROFILES  # noqa: PLC0415
    from baselines.store import resolve_settings  # noqa: PLC0415
    from methods import NO_REFERENCE, REFERENCES  # noqa: PLC0415

    if profile.model_profile not in PROFILES:
        raise RunFileError(f"{where}: field 'model_profile' = {profile.model_profile!r}: unknown{_hint(profile.model_profile, PROFILES.names())}; "
                           f"valid: {', '.join(PROFILES.names())}")
    kinds = set()
    model_ids = [m.id for m in profile.models]
    for variant in profile.models:
        here = f"{where}: model {variant.id!r}"
        if variant.arch not in ARCHITECTURES:
            raise RunFileError(f"{here}: field 'arch' = {variant.arch!r}: unknown architecture{_hint(variant.arch, ARCHITECTURES.names())}; "
                               f"registered: {', '.join(ARCHITECTURES.names())}, or use file = / pretrained =")
        kinds.add(arch_kind(variant.arch))
        try:
            resolve_settings(variant.arch, profile.model_profile, **dict(variant.overrides))
        except ValueError as error:
            raise RunFileError(f"{here}: field 'overrides': {error}") from None
        for task in variant.tasks or ():
            if task not in profile.tasks:
                raise RunFileError(f"{here}: field 'tasks' names {task!r}, not a task of this run{_hint(task, profile.tasks)}; "
                                   f"its tasks: {', '.join(profile.tasks)}")
        _check_model_length(variant, specs, here)
    for pattern in profile.methods or ():
        _check_pattern(pattern, methods, "methods", "method", where)
        matched = [name for name in methods if fnmatch.fnmatchcase(name, pattern)]
        if not any(kind in methods[name].model_kinds for name in matched for kind in kinds):
            explains = sorted({k for name in matched for k in methods[name].model_kinds})
            raise RunFileError(f"{where}: field 'methods' = {pattern!r} explains {', '.join(explains)} models, and this run's "
                               f"models are {', '.join(sorted(kinds))}; add a model of that kind or drop the method")
    for pattern in profile.main_references:
        _check_pattern(pattern, [*REFERENCES, NO_REFERENCE], "references", "reference", where)
    for pattern, kind in profile.skip:
        if kind not in ("keras", "gkmsvm"):
            raise RunFileError(f"{where}: field 'skip': unknown model kind {kind!r}{_hint(kind, ('keras', 'gkmsvm'))}; kinds: keras, gkmsvm")
        _check_pattern(pattern, methods, "skip", "method", where)
    for kind in profile.n_eval_by_kind:
        if kind not in ("keras", "gkmsvm"):
            raise RunFileError(f"{where}: field 'n_eval_by_kind': unknown model kind {kind!r}{_hint(kind, ('keras', 'gkmsvm'))}; kinds: keras, gkmsvm")
    for i, ablation in enumerate(profile.ablations):
        here = f"ablations[{i}]"
        for pattern in ablation.methods or ():
            _check_pattern(pattern, methods, f"{here}.methods", "method", where)
        for pattern in ablation.references or ():
            _check_pattern(pattern, [*REFERENCES, NO_REFERENCE], f"{here}.references", "reference", where)
        for pattern in ablation.tasks or ():
            _check_pattern(pattern, profile.tasks, f"{here}.tasks", "task of this run", where)
        for pattern in ablation.models or ():
            _check_pattern(pattern, model_ids, f"{here}.models", "model id of this run", where)
    for name, spec in specs.items():
        pool = eval_pool_bound(spec)
        built = ""
        if profile.check_tasks:  # asked for: build the task (or load it from the cache) and count
            import tasks  # noqa: PLC0415

            pool, built = int(len(tasks.build(spec, progress=False).eval_index)), " (built and counted: check_tasks)"
        for kind in sorted(kinds):
            n = profile.eval_size(kind)
            if n > pool:
                field = "n_eval_by_kind" if kind in profile.n_eval_by_kind else "n_eval"
                raise RunFileError(
                    f"{where}: field {field!r} = {n} ({kind} models) is larger than the eval pool of task {name!r}: at most "
                    f"{pool} sequences{built} ({spec.spec_path or 'its spec'}: n_eval = {spec.n_eval}"
                    f"{', test positives ' + str(pool) if pool < spec.n_eval else ''}); lower {field} to {pool} or raise the "
                    f"task's n_eval (task_settings = {{ n_eval = {n} }})"
                )


def eval_pool_bound(spec) -> int:
    """The most eval sequences `spec`'s dataset can hold, known from the spec alone.

    The eval set is the test positives with a motif hit, capped at the spec's
    ``n_eval``; a simplified task's positives all carry a hit when
    ``min_instances >= 1``, so it holds min(n_eval, its test positives).
    """
    bound = int(spec.n_eval)
    if spec.source == "simplified" and spec.min_instances >= 1:
        bound = min(bound, int(round(spec.test_fraction * spec.n_positives)))
    return bound


def _check_pattern(pattern: str, names, field: str, what: str, where: str) -> None:
    names = list(names)
    if not any(fnmatch.fnmatchcase(name, pattern) for name in names):
        raise RunFileError(f"{where}: field {field!r}: unknown {what} {pattern!r}{_hint(pattern, names)}; "
                           f"valid: {', '.join(sorted(names))} (fnmatch patterns like 'grad*' work too)")


def _check_model_length(variant, specs: dict, where: str) -> None:
    """A model file's fixed input length against each task's sequence length, when both are known cheaply."""
    if not variant.source:
        return
    length = _file_input_length(Path(variant.source))
    if length is None:
        return
    for name, spec in specs.items():
        if variant.tasks is not None and name not in variant.tasks:
            continue
        task_length = {"simplified": spec.sequence_length, "genome_peaks": spec.region_size}.get(spec.source)
        if task_length is not None and task_length != length:
            raise RunFileError(
                f"{where}: {variant.source} takes {length} bp sequences but task {name!r} has {task_length} bp ones; "
                f"limit the model to tasks of its length (tasks = [...]) or rebuild it for {task_length} bp"
            )


def _file_input_length(path: Path) -> int | None:
    """The sequence length a Keras JSON/.keras file's input declares, read without TensorFlow (None: unknown)."""
    import json  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    try:
        if path.suffix == ".json":
            config = json.loads(path.read_text())
        elif path.suffix == ".keras":
            with zipfile.ZipFile(path) as archive:
                config = json.loads(archive.read("config.json"))
        else:
            return None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    text = json.dumps(config)
    for key in ('"batch_input_shape": [null, ', '"batch_shape": [null, '):
        at = text.find(key)
        if at >= 0:
            value = text[at + len(key):].split(",")[0].strip()
            return int(value) if value.isdigit() else None
    return None


def as_dict(profile) -> dict:
    """A profile's fields as plain values (for `python -m benchmark runs --show`)."""
    return {k: v for k, v in dataclasses.asdict(profile).items()}
