"""Exercise checkers: each ``check_*`` runs a learner's answer and says what is right or wrong.

A checker never raises on a learner's answer (wrong type, wrong shape, None, an exception
inside the learner's function): it returns a ``Feedback`` that explains what to fix. The
shared pieces live here; the checkers themselves live in one module per topic.
"""

from course_utils.checks._core import Feedback, as_array, call_learner, compare

__all__ = ["Feedback", "as_array", "call_learner", "compare"]
