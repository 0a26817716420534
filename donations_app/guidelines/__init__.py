"""The guideline rule engine: a pure library (no Flask, no database).

Load a rules directory once with `load_rules`, then call `RuleSet.evaluate(offer, as_of)` for
each offer. The same function serves the form, the API and the CLI.
"""

from .catalog import Catalog, Category, FieldSpec, load_catalog
from .engine import Evaluation, Finding, ItemResult, RuleSet
from .examples import ExampleResult, run_examples
from .loader import load_rules
from .routing import Route
from .rules import Rule
from .source import RuleSetError

__all__ = [
    "Catalog",
    "Category",
    "Evaluation",
    "ExampleResult",
    "FieldSpec",
    "Finding",
    "ItemResult",
    "Route",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "load_catalog",
    "load_rules",
    "run_examples",
]
