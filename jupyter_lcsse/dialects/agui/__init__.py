"""AG-UI 1.0: ``RunAgentInput`` in (``input``, ``messages``), AG-UI events out (``encoder``)."""
