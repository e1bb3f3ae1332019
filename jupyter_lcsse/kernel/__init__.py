"""What runs in the notebook's kernel: the widget, the magics, finding the server.

``widget`` is the anywidget ``StreamWidget`` (server or kernel transport), ``magics``
``%lcsse``/``%%lcsse``, ``discovery`` finds the Jupyter server a kernel belongs to,
``headless`` and ``saved_output`` cover kernels no browser watches (nbclient, papermill),
``decisions`` builds the answers to an agent that asks first (``w.approve()`` ...).
Never imported by the server side.
"""
