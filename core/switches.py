"""On/off switches for core's fast paths (compiled plans, lean model instances).

Each fast path gives what the framework's own path gives, faster; tests and benchmarks turn one
off (``with switch.off():``) to compare the two.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class FastPath:
    __slots__ = ("on",)

    def __init__(self) -> None:
        self.on = True

    @contextmanager
    def off(self) -> Iterator[None]:
        before = self.on
        self.on = False
        try:
            yield
        finally:
            self.on = before
