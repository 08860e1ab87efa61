"""Exercise checkers: each ``check_*`` runs a learner's answer and says what is right or wrong.

A checker never raises on a learner's answer (wrong type, wrong shape, None, an exception or an
endless loop inside the learner's function): it returns a ``Feedback`` that explains what to
fix. Every checker is wrapped in ``@checker("NN")`` (NN = its notebook). The shared pieces live
in ``_core``; the checkers themselves live in one module per topic.
"""

from course_utils.checks._core import *  # noqa: F403 - Feedback, checker, call_learner, …
from course_utils.checks._core import __all__ as __all__  # the shared pieces, listed once in _core
