"""Steps in AG-UI: the graph nodes running now, one open ``STEP_STARTED`` per name.

Steps of one name nest: two tool calls run the ``tools`` node twice at once, a subagent
runs its own ``tools`` node while the root's, which called it, is still open, and two
subagents run their ``model`` nodes side by side. AG-UI clients disagree on how they
count such steps: ``@ag-ui/client`` keeps one open step per name *and* subagent and
refuses a second start of the same one, ``ag-ui-validate`` keeps one per name, owned by
whoever opened it, and warns when another owner closes it. One AG-UI step per name
satisfies both: the first start of a name is sent (attributed to the agent that
started it), the starts and finishes that overlap it only counted, and the finish that
leaves none running is sent, attributed as the start was. A subagent that ends gives up
the steps it still had open (a supervisor's handoff leaves its ``tools`` step behind).
"""

from __future__ import annotations

from ag_ui.core import BaseEvent, StepFinishedEvent, StepStartedEvent

__all__ = ["OpenSteps"]


class _Step:
    __slots__ = ("by", "owner")

    def __init__(self, owner: str | None) -> None:
        self.owner = owner  # the agent whose start was sent
        self.by: dict[str | None, int] = {}  # how many times each agent has it open


class OpenSteps:
    """The steps open in one run, by name."""

    def __init__(self) -> None:
        self._open: dict[str, _Step] = {}

    def started(self, owner: str | None, name: str) -> list[BaseEvent]:
        step = self._open.get(name)
        sent: list[BaseEvent] = []
        if step is None:
            step = self._open[name] = _Step(owner)
            sent.append(StepStartedEvent(step_name=name, subagent_run_id=owner))
        step.by[owner] = step.by.get(owner, 0) + 1
        return sent

    def finished(self, owner: str | None, name: str) -> list[BaseEvent]:
        step = self._open.get(name)
        if step is None or owner not in step.by:
            return []  # a step that never started here (or was given up)
        step.by[owner] -= 1
        if not step.by[owner]:
            del step.by[owner]
        return self._if_done(name, step)

    def give_up(self, owner: str) -> list[BaseEvent]:
        """The steps ``owner`` (a subagent that ended) still had open, let go."""
        out: list[BaseEvent] = []
        for name, step in list(self._open.items()):
            if step.by.pop(owner, None):
                out.extend(self._if_done(name, step))
        return out

    def close(self) -> list[BaseEvent]:
        """Finish every open step (the run's end)."""
        out: list[BaseEvent] = [
            StepFinishedEvent(step_name=name, subagent_run_id=step.owner)
            for name, step in self._open.items()
        ]
        self._open.clear()
        return out

    def _if_done(self, name: str, step: _Step) -> list[BaseEvent]:
        if step.by:
            return []
        del self._open[name]
        return [StepFinishedEvent(step_name=name, subagent_run_id=step.owner)]
