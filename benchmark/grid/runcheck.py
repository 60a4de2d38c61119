"""Putting a run file's grid in use and validating it (`prepare`), for `benchmark.grid.runfile`.

`prepare` registers the run's tasks (``tasks.spec.use_spec``, with
``task_settings`` applied) and its model files (`baselines.byo`), then checks
every name against the registries and every size against the tasks, raising
`benchmark.grid.runfile.RunFileError` with the run file, the field and the closest
valid names. See `benchmark.grid.runfile` for the file format.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from pathlib import Path

from benchmark.grid.runfile import RunFileError, did_you_mean, is_run_path
from benchmark.grid import keys

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
    from tasks.builder import FILE_ROLES  # noqa: PLC0415

    return FILE_ROLES.get(field, field)


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
        raise RunFileError(f"{where}: field 'model_profile' = {profile.model_profile!r}: unknown{did_you_mean(profile.model_profile, PROFILES.names())}; "
                           f"valid: {', '.join(PROFILES.names())}")
    kinds = set()
    model_ids = [m.id for m in profile.models]
    for variant in profile.models:
        here = f"{where}: model {variant.id!r}"
        if variant.arch not in ARCHITECTURES:
            raise RunFileError(f"{here}: field 'arch' = {variant.arch!r}: unknown architecture{did_you_mean(variant.arch, ARCHITECTURES.names())}; "
                               f"registered: {', '.join(ARCHITECTURES.names())}, or use file = / pretrained =")
        kinds.add(arch_kind(variant.arch))
        try:
            resolve_settings(variant.arch, profile.model_profile, **dict(variant.overrides))
        except ValueError as error:
            raise RunFileError(f"{here}: field 'overrides': {error}") from None
        for task in variant.tasks or ():
            if task not in profile.tasks:
                raise RunFileError(f"{here}: field 'tasks' names {task!r}, not a task of this run{did_you_mean(task, profile.tasks)}; "
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
            raise RunFileError(f"{where}: field 'skip': unknown model kind {kind!r}{did_you_mean(kind, ('keras', 'gkmsvm'))}; kinds: keras, gkmsvm")
        _check_pattern(pattern, methods, "skip", "method", where)
    for kind in profile.n_eval_by_kind:
        if kind not in ("keras", "gkmsvm"):
            raise RunFileError(f"{where}: field 'n_eval_by_kind': unknown model kind {kind!r}{did_you_mean(kind, ('keras', 'gkmsvm'))}; kinds: keras, gkmsvm")
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
        raise RunFileError(f"{where}: field {field!r}: unknown {what} {pattern!r}{did_you_mean(pattern, names)}; "
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
