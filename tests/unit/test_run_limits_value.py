"""``RunLimits``: one value for every limit, with the app's defaults and a kernel preset."""

from __future__ import annotations

import dataclasses

import pytest

from jupyter_lcsse.server.app import LCSSEApp
from jupyter_lcsse.streaming.limits import RunLimits

# RunLimits field -> the LCSSEApp traitlet it comes from
TRAITS = {
    "buffer_size": "replay_buffer_size",
    "buffer_bytes": "replay_buffer_bytes",
    "orphan_timeout": "orphan_timeout",
    "cancel_timeout": "cancel_timeout",
    "max_source_chars": "max_source_chars",
    "inline_parsers": "inline_str_parsers",
    "max_active_runs": "max_active_runs",
    "max_runs": "max_runs",
    "run_ttl": "run_ttl",
    "max_finished_bytes": "max_finished_bytes",
}


def test_limits_when_built_by_default_then_the_apps_traitlet_defaults() -> None:
    assert {f.name for f in dataclasses.fields(RunLimits)} == set(TRAITS)
    traits = LCSSEApp.class_traits()
    defaults = RunLimits()
    for field, trait in TRAITS.items():
        assert getattr(defaults, field) == traits[trait].default_value, field


def test_kernel_preset_when_used_then_keeps_everything_and_never_orphans() -> None:
    kernel = RunLimits.kernel()
    assert (kernel.buffer_size, kernel.buffer_bytes, kernel.orphan_timeout) == (1_000_000, 0, 0)
    assert kernel.cancel_timeout == RunLimits().cancel_timeout


def test_limits_when_changed_after_creation_then_refused() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RunLimits().buffer_size = 1  # type: ignore[misc]
