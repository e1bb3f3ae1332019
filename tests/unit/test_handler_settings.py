"""``HandlerSettings``: what the handlers read, built from ``LCSSEApp``'s traitlets."""

from __future__ import annotations

import dataclasses

import pytest

from jupyter_lcsse.server.app import LCSSEApp
from jupyter_lcsse.server.settings import HandlerSettings


def test_handler_settings_when_listed_then_each_field_is_a_configurable_traitlet() -> None:
    traits = LCSSEApp.class_traits(config=True)
    for field in dataclasses.fields(HandlerSettings):
        assert field.name in traits, f"{field.name}: no LCSSEApp traitlet of that name"
        assert traits[field.name].help, f"LCSSEApp.{field.name} has no help="


def test_handler_settings_when_built_from_the_app_then_its_values() -> None:
    app = LCSSEApp(keepalive_interval=3.0, max_body_bytes=1234, retry_ms=50)
    settings = HandlerSettings.from_traits(app)
    assert settings.keepalive_interval == 3.0
    assert settings.max_body_bytes == 1234
    assert settings.retry_ms == 50
    assert settings.coalesce_interval == app.coalesce_interval


def test_handler_settings_when_changed_then_refused() -> None:
    settings = HandlerSettings.from_traits(LCSSEApp())
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.retry_ms = 1  # type: ignore[misc]
