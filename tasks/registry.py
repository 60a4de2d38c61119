"""One small registry, shared by tasks, architectures, methods and references.

A registry maps a name to an object (a function, a spec path, ...). Names are
unique: registering a second object under a taken name is an error, and
looking up an unknown name lists the valid ones and the closest match.
"""

from __future__ import annotations

import difflib
from typing import Any, Callable, Iterator


class Registry:
    """A name -> object mapping with helpful errors.

    Parameters
    ----------
    kind: str
        What is registered ("method", "architecture", ...); used in messages.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Any] = {}

    def add(self, name: str, obj: Any) -> Any:
        """Register `obj` under `name`; returns `obj`."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} name must be a non-empty string, got {name!r}")
        if name in self._entries and self._entries[name] is not obj:
            raise ValueError(
                f"{self.kind} {name!r} is already registered "
                f"(by {_describe(self._entries[name])}); pick another name"
            )
        self._entries[name] = obj
        return obj

    def replace(self, name: str, obj: Any) -> Any:
        """Register `obj` under `name`, replacing whatever was there (a user's file read again); returns `obj`."""
        self._entries[name] = obj
        return obj

    def remove(self, name: str) -> None:
        """Forget `name` (no error if it was never registered)."""
        self._entries.pop(name, None)

    def snapshot(self) -> dict[str, Any]:
        """A copy of every entry, for `restore` (tests that register temporary entries)."""
        return dict(self._entries)

    def restore(self, entries: dict[str, Any]) -> None:
        """Put back the entries a `snapshot` returned, forgetting everything registered since."""
        self._entries.clear()
        self._entries.update(entries)

    def register(self, name: str) -> Callable[[Any], Any]:
        """Decorator form of `add`."""
        return lambda obj: self.add(name, obj)

    def __getitem__(self, name: str) -> Any:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        valid = sorted(self._entries)
        close = difflib.get_close_matches(str(name), valid, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"unknown {self.kind} {name!r}.{hint} Valid {self.kind}s: {', '.join(valid) or '(none)'}"

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def items(self) -> list[tuple[str, Any]]:
        return sorted(self._entries.items())


def _describe(obj: Any) -> str:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else repr(obj)
