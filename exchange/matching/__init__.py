"""Record linkage of department feed rows to registered children (pure Python, no database).

index = Index.build(registry_people)
matcher = Matcher()            # parameters from params.json
decision = matcher.match(row, index.candidates(row))
decisions = link_all(rows, index, matcher)
"""

from .blocking import Index, blocking_keys
from .compare import Person, Prepared, prepare
from .model import LINKED, NEW, REJECTED, REVIEW, Decision, Matcher, Params, fit, link_all, number_only

__all__ = [
    "LINKED",
    "NEW",
    "REJECTED",
    "REVIEW",
    "Decision",
    "Index",
    "Matcher",
    "Params",
    "Person",
    "Prepared",
    "blocking_keys",
    "fit",
    "link_all",
    "number_only",
    "prepare",
]
