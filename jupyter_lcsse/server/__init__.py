"""The jupyter_server extension: the ``LCSSEApp`` wiring, the HTTP handlers, the stream writer.

``app`` only wires (settings as traitlets, the registry, the handlers), ``handlers`` and
``handler_base`` answer the HTTP API, ``stream_writer`` writes one run's frames to one
response. Runs in the Jupyter server process; never imported by the kernel side.
"""
