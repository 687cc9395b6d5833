"""A pytest plugin for `make mutation` only (loaded by pyproject's [tool.mutmut] pytest_add_cli_args).

mutmut 3.7 maps tests to the functions they reach through `item._nodeid`, which pytest 9 no longer
sets: give each collected test that attribute back. A mutant is killed by the first failing
example, so shrinking it (minutes for a large history) would only slow the run; and a mutant that
survives runs every test that reaches it in full, so properties run at most MUTATION_EXAMPLES
examples each (every table test still runs whole).
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

MUTATION_EXAMPLES = 40

settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate], database=None)
settings.load_profile("mutation")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item._nodeid = item.nodeid  # type: ignore[attr-defined]
        test = getattr(item, "obj", None)
        chosen = getattr(test, "_hypothesis_internal_use_settings", None)
        if chosen is not None and chosen.max_examples > MUTATION_EXAMPLES:
            test._hypothesis_internal_use_settings = settings(chosen, max_examples=MUTATION_EXAMPLES)  # type: ignore[union-attr]
