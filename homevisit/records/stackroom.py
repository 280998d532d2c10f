"""Room on CPython's frame stack for deep recursion, so that laying out a record does not fault in memory.

CPython 3.11 and later keep each thread's Python frames in chunks of memory (16 KiB by default). A call that
does not fit in what is left of the current chunk gets a new chunk, mapped fresh from the operating system,
and that chunk is unmapped again the moment the call returns. Code that recurses up and down across the end of
a chunk (WeasyPrint's layout does, thousands of times a record) therefore maps, faults in and unmaps memory on
every crossing. Where the crossings fall depends only on how deep the caller's stack already is: the same
record took 195 ms from one caller and 310 ms from another, with 14,000 page faults instead of 10 (measured
with ``resource.getrusage`` on Python 3.11; 3.12 and 3.13 behave the same; see ``tests/unit/test_stackroom.py``).

:func:`with_stack_room` runs a function inside one frame that is large enough for CPython to give it a chunk
of its own, with about 60 KiB free after it: twice what a record's layout and signing use, so their recursion
stays inside that chunk whatever the caller's depth. The frame's size comes from its code object's value-stack
size, raised with ``CodeType.replace(co_stacksize=...)``. That only reserves space: the untouched part is
never faulted in, and nothing else about the call changes. One chunk is mapped and unmapped per call.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

ROOM_SLOTS = 8_300
"""Extra value-stack slots in the calling frame (8 bytes each), making it just over 64 KiB. CPython gives a frame
that does not fit a chunk of the next power of two from 16 KiB that holds it and 1,000 slots more: 128 KiB,
leaving ~61 KiB after the frame. (A frame just under 64 KiB would get a 64 KiB chunk with almost no room.)"""


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return fn(*args, **kwargs)


_call.__code__ = _call.__code__.replace(co_stacksize=_call.__code__.co_stacksize + ROOM_SLOTS)

_state = threading.local()


def with_stack_room(fn: F) -> F:
    """Decorate ``fn`` so each call runs in a frame-stack chunk of its own (nested calls share the outer one)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if getattr(_state, "inside", False):
            return fn(*args, **kwargs)
        _state.inside = True
        try:
            return _call(fn, args, kwargs)
        finally:
            _state.inside = False

    return wrapper  # type: ignore[return-value]


@contextmanager
def disabled() -> Iterator[None]:
    """Call decorated functions in this thread as plain calls, to measure what the room saves (bench/records.py)."""
    previous = getattr(_state, "inside", False)
    _state.inside = True
    try:
        yield
    finally:
        _state.inside = previous
