"""Interactive explorers, one module per notebook topic.

Each ``make_*`` returns ``(ui, state)``: ``ui`` is the widget to display and ``state`` a dict
of its controls and outputs, so a test (or a teacher) can set ``state[...].value`` and read
the result without a browser. Written for ipywidgets 7.7 (Colab) and 8.x alike.
"""
