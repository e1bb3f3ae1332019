"""A request's ``config`` is checked before a run starts (issue 17, "Hostile input").

Each bad value here was taken (200 and a stream, or 201) and the run then failed
inside LangChain, with a traceback in the log and an ``error`` event such as ``'<' not
supported between instances of 'str' and 'int'``. Now it is a 422 naming the key, and
no run exists to fail: the registry holds as many runs after the request as before.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig, RunnableLambda
from tornado.httpclient import HTTPClientError

from jupyter_lcsse.offline.model import answer_for
from tests.support.chains import TEST_CHAINS
from tests.support.http import SSEFetch, json_error

STREAM = ("lcsse", "api", "chains", "default", "stream")
RUNS = ("lcsse", "api", "runs")
QUESTION = "What is SSE?"
LIMIT = "an integer from 1 to 100000"
AT_LEAST_1 = "an integer of at least 1 (or null for no limit)"


def _seen(value: Any, config: RunnableConfig) -> str:
    """What of its config a run's chain was given, for the test to compare (not its
    ``run_name``: LangChain names the run with it, and gives the function none)."""
    configurable = config.get("configurable") or {}
    metadata = config.get("metadata") or {}
    seen = {
        "recursion_limit": config.get("recursion_limit"),
        "max_concurrency": config.get("max_concurrency"),
        "tags": config.get("tags"),
        # LangChain and LangGraph add their own entries to both: only the test's count.
        "metadata": {k: v for k, v in metadata.items() if k == "who"},
        "configurable": {k: v for k, v in configurable.items() if not k.startswith("__")},
    }
    return json.dumps(seen, sort_keys=True)


config_seen = RunnableLambda(_seen)


@pytest.fixture
def lcsse_config() -> dict[str, Any]:
    seen = "tests.server.test_request_config:config_seen"
    return {"chains": {**TEST_CHAINS, "config_seen": seen}}


def _runs(jp_serverapp: Any) -> int:
    return len(jp_serverapp.web_app.settings["lcsse_runs"])


async def _post(jp_fetch: Any, parts: tuple[str, ...], config: Any) -> tuple[int, str]:
    """POST the default chain with ``config`` to the stream or the runs URL; its error."""
    body: dict[str, Any] = {"input": {"question": QUESTION}, "config": config}
    if parts == RUNS:
        body["chain"] = "default"
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*parts, method="POST", body=json.dumps(body))
    return json_error(info.value)


BAD = [
    ("recursion_limit", 0, f"must be {LIMIT}, not 0"),
    ("recursion_limit", -1, f"must be {LIMIT}, not -1"),
    ("recursion_limit", "abc", f"must be {LIMIT}, not 'abc'"),
    ("recursion_limit", "25", f"must be {LIMIT}, not '25'"),
    ("recursion_limit", True, f"must be {LIMIT}, not True"),
    ("recursion_limit", 1.5, f"must be {LIMIT}, not 1.5"),
    ("recursion_limit", 100_001, f"must be {LIMIT}, not 100001"),
    ("recursion_limit", 10**50, f"must be {LIMIT}, not {str(10**50)[:39]}…"),
    ("recursion_limit", [5], f"must be {LIMIT}, not [5]"),
    ("max_concurrency", 0, f"must be {AT_LEAST_1}, not 0"),
    ("max_concurrency", -1, f"must be {AT_LEAST_1}, not -1"),
    ("max_concurrency", "abc", f"must be {AT_LEAST_1}, not 'abc'"),
    ("max_concurrency", False, f"must be {AT_LEAST_1}, not False"),
    ("max_concurrency", 2.5, f"must be {AT_LEAST_1}, not 2.5"),
    ("max_concurrency", {}, f"must be {AT_LEAST_1}, not {{}}"),
    ("tags", "x", "must be a list of strings, not 'x'"),
    ("tags", {"a": "b"}, "must be a list of strings, not {'a': 'b'}"),
    ("tags[0]", [1], "must be a string, not 1"),
    ("tags[1]", ["ok", None], "must be a string, not None"),
    ("tags[0]", [["nested"]], "must be a string, not ['nested']"),
    ("metadata", [], "must be an object, not []"),
    ("metadata", "x", "must be an object, not 'x'"),
    ("metadata", 5, "must be an object, not 5"),
    ("run_name", 5, "must be a string, not 5"),
    ("run_name", ["a"], "must be a string, not ['a']"),
    ("run_name", {"a": 1}, "must be a string, not {'a': 1}"),
    ("run_name", False, "must be a string, not False"),
    ("configurable", [], "must be an object, not []"),
    ("configurable", "thread-1", "must be an object, not 'thread-1'"),
]


@pytest.mark.parametrize("parts", [STREAM, RUNS], ids=["stream", "runs"])
@pytest.mark.parametrize(
    ("key", "value", "why"), BAD, ids=[f"{key}={value!r}"[:40] for key, value, _ in BAD]
)
async def test_config_when_value_bad_then_422_names_key_and_no_run_started(
    jp_fetch: Any, jp_serverapp: Any, parts: tuple[str, ...], key: str, value: Any, why: str
) -> None:
    # tags[i] names the item; the config sends the list.
    config = {key.partition("[")[0]: value}
    before = _runs(jp_serverapp)
    code, message = await _post(jp_fetch, parts, config)
    assert (code, message) == (422, f"config.{key}: {why}")
    assert _runs(jp_serverapp) == before  # nothing to fail mid-run: it never started


@pytest.mark.parametrize("parts", [STREAM, RUNS], ids=["stream", "runs"])
async def test_config_when_several_keys_bad_then_422_names_the_first_in_order(
    jp_fetch: Any, jp_serverapp: Any, parts: tuple[str, ...]
) -> None:
    """Keys are checked in name order, so a client fixing them one by one is told the
    same next key each time, whatever order its JSON object had."""
    before = _runs(jp_serverapp)
    code, message = await _post(jp_fetch, parts, {"tags": "x", "max_concurrency": 0})
    assert (code, message) == (422, f"config.max_concurrency: must be {AT_LEAST_1}, not 0")
    assert _runs(jp_serverapp) == before


@pytest.mark.parametrize(
    "config",
    [
        {"recursion_limit": 5},
        {"recursion_limit": 100_000, "max_concurrency": 10**6},
        {"recursion_limit": 5, "max_concurrency": None, "tags": None, "metadata": None},
        {"run_name": None, "configurable": None},
    ],
    ids=["recursion_limit_5", "upper_bounds", "nulls", "more_nulls"],
)
async def test_config_when_good_then_default_chain_streams_its_answer(
    sse_fetch: SSEFetch, config: dict[str, Any]
) -> None:
    """A null is a key left out (LangChain reads None as "not set"): it must not be
    refused, nor reach the code that merges configs."""
    body = {"input": {"question": QUESTION}, "config": config}
    response = await sse_fetch(*STREAM, body=body)
    assert response.code == 200
    assert response.end["reason"] == "complete", response.raw[-500:]
    assert response.text == answer_for(QUESTION)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {
                "recursion_limit": 7,
                "max_concurrency": 2,
                "tags": ["mine"],
                "metadata": {"who": "test"},
                "run_name": "named",
                "configurable": {"thread_id": "t-1"},
            },
            {
                "recursion_limit": 7,
                "max_concurrency": 2,
                "tags": ["mine"],
                "metadata": {"who": "test"},
                "configurable": {"thread_id": "t-1"},
            },
        ),
        (
            {"recursion_limit": 7, "tags": None, "run_name": None, "max_concurrency": None},
            {
                "recursion_limit": 7,
                "max_concurrency": None,
                "tags": [],
                "metadata": {},
                "configurable": {},
            },
        ),
    ],
    ids=["every_key", "nulls_left_out"],
)
async def test_config_when_good_then_the_chain_gets_each_value(
    jp_fetch: Any, sse_fetch: SSEFetch, config: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = await jp_fetch(
        *RUNS,
        method="POST",
        body=json.dumps({"chain": "config_seen", "input": {"x": 1}, "config": config}),
    )
    assert response.code == 201
    run = json.loads(response.body)
    events = await sse_fetch(*RUNS, run["id"], "events")
    assert events.end["reason"] == "complete", events.raw[-500:]
    assert json.loads(events.text) == expected
