"""Chains from config and entry points; broken ones are logged and left out."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from langchain_core.runnables import RunnableLambda

from jupyter_lcsse.chains.registry import (
    Chain,
    ChainLoadError,
    InputError,
    build_default_chain,
    load_chains,
    resolve_reference,
)
from jupyter_lcsse.offline.model import OfflineChatModel


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("no colon", "is not of the form 'package.module:attr'"),
        ("tests.support.no_such:x", "cannot import module 'tests.support.no_such'"),
        ("tests.support.chains:missing", "has no attribute 'missing'"),
        ("tests.support.chains:not_a_runnable", "is a str, not a Runnable or a factory"),
        ("tests.support.chains:factory_that_fails", "RuntimeError: cannot build this chain"),
        ("tests.support.chains:Probe", "returned Probe, not a LangChain Runnable"),
    ],
)
def test_resolve_reference_when_broken_then_error_says_why(ref: str, expected: str) -> None:
    with pytest.raises(ChainLoadError, match=None) as info:
        resolve_reference(ref)
    assert expected in str(info.value)


def test_load_chains_when_some_broken_then_logged_and_rest_loaded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("test-lcsse")
    with caplog.at_level(logging.INFO, logger="test-lcsse"):
        chains = load_chains(
            {"echo": "tests.support.chains:echo", "bad": "tests.support.chains:nothing"}, {}, log
        )
    assert list(chains) == ["echo"]
    assert "chain 'bad' (LCSSEApp.chains['bad']) left out" in caplog.text
    assert "has no attribute 'nothing'" in caplog.text


def test_load_chains_when_entry_point_registered_then_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "lcsse_plugin_demo-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: lcsse-plugin-demo\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[jupyter_lcsse.chains]\nshouty = tests.support.chains:make_upper\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    chains = load_chains({}, {}, logging.getLogger("test-lcsse"))
    assert chains["shouty"].runnable.invoke("hi") == "HI"
    assert chains["shouty"].source == "entry point 'shouty'"
    assert str(tmp_path) in sys.path


def test_default_chain_when_no_key_then_offline_model(monkeypatch: pytest.MonkeyPatch) -> None:
    chain = build_default_chain(
        model="auto",
        openai_model="m",
        openai_base_url="",
        offline_tokens_per_second=0,
        environ={},
    )
    assert "offline" in chain.description
    steps = chain.runnable.bound.steps  # type: ignore[attr-defined]
    assert isinstance(steps[1], OfflineChatModel)


def test_default_chain_when_key_set_then_chat_openai_with_env_base_url() -> None:
    made: dict[str, object] = {}

    def factory(**kwargs: object) -> OfflineChatModel:
        made.update(kwargs)
        return OfflineChatModel()

    chain = build_default_chain(
        model="auto",
        openai_model="llama3",
        openai_base_url="",
        offline_tokens_per_second=0,
        environ={"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"},
        chat_model_factory=factory,
    )
    assert made == {"model": "llama3", "base_url": "http://127.0.0.1:11434/v1", "streaming": True}
    assert "ChatOpenAI (llama3 at http://127.0.0.1:11434/v1)" in chain.description


def test_chain_input_when_schema_is_any_then_everything_passes() -> None:
    chain = Chain(name="x", runnable=RunnableLambda(lambda v: v))
    assert chain.coerce_input([1, {"a": None}]) == [1, {"a": None}]


def test_chain_input_when_nested_field_wrong_then_path_in_message() -> None:
    chain = Chain(
        name="x",
        runnable=RunnableLambda(lambda v: v),
        input_schema={
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"type": "integer"}}},
        },
    )
    with pytest.raises(InputError, match=r"input\.items\[1\]: 'b' is not of type 'integer'"):
        chain.coerce_input({"items": [1, "b"]})
