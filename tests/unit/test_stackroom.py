"""with_stack_room: deep recursion runs in a frame-stack chunk of its own, whatever the caller's depth."""

from __future__ import annotations

import resource
import threading
from collections.abc import Callable
from typing import Any

import pytest

from homevisit.records.stackroom import disabled, with_stack_room


def at_depth(depth: int, fn: Callable[[], Any]) -> Any:
    """Call ``fn`` from ``depth`` extra Python frames down the stack."""
    return fn() if depth == 0 else at_depth(depth - 1, fn)


def down(levels: int) -> int:
    return 0 if levels == 0 else down(levels - 1) + 1


def up_and_down(times: int = 400, levels: int = 40) -> int:
    """Recurse 40 frames down and back, 400 times: what a layout engine does all the time."""
    return sum(down(levels) for _ in range(times))


@with_stack_room
def roomy_up_and_down() -> int:
    return up_and_down()


def worst_faults(fn: Callable[[], Any]) -> int:
    """The most minor page faults ``fn`` costs from any caller depth over more than one 16 KiB chunk of frames."""
    fn()
    worst = 0
    for depth in range(0, 300, 6):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        at_depth(depth, fn)
        worst = max(worst, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    return worst


def test_recursion_across_a_chunk_end_faults_in_memory_on_every_crossing_without_room() -> None:
    # The interpreter behaviour this module exists for: at some caller depths each of the 400 descents crosses
    # the end of a frame-stack chunk, and CPython maps and unmaps a fresh chunk each time.
    assert worst_faults(up_and_down) >= 400


def test_with_room_the_same_recursion_costs_no_faults_from_any_depth() -> None:
    assert worst_faults(roomy_up_and_down) < 40


def test_disabled_gives_the_plain_call_back_for_measuring() -> None:
    def without() -> int:
        with disabled():
            return roomy_up_and_down()

    assert worst_faults(without) >= 400
    assert worst_faults(roomy_up_and_down) < 40  # and the room is back afterwards


def test_the_decorated_function_is_called_as_written() -> None:
    @with_stack_room
    def combine(a: int, b: int, *, scale: int = 1) -> int:
        """Add and scale."""
        return (a + b) * scale

    assert combine(2, 3, scale=4) == 20
    assert combine.__name__ == "combine" and combine.__doc__ == "Add and scale."


def test_errors_pass_through_and_nested_calls_share_the_outer_room() -> None:
    @with_stack_room
    def inner() -> int:
        return down(10)

    @with_stack_room
    def outer() -> int:
        return inner() + inner()

    @with_stack_room
    def fails() -> None:
        raise ValueError("a record could not be drawn")

    with pytest.raises(ValueError, match="could not be drawn"):
        fails()
    assert outer() == 20  # the failure above left no state behind
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(outer())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [20] * 4
