"""Which framework's gradient helpers explain a model: `methods._tf_grad` or `methods._torch_grad`.

Both modules offer the same functions with the same arguments and shapes
(``predict``, ``input_gradients``, ``path_gradients``), so a method written
once runs on Keras and torch models; torch is imported only for a torch model.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_MODULES = {"keras": "methods._tf_grad", "torch": "methods._torch_grad"}


def grad_backend(model) -> ModuleType:
    """The helper module for `model`'s kind ("keras" or "torch"); ValueError for any other kind."""
    kind = getattr(model, "kind", None)
    if kind not in _MODULES:
        raise ValueError(f"{getattr(model, 'name', model)} is a {kind} model; gradients need a keras or torch network")
    return importlib.import_module(_MODULES[kind])
