"""A pytest plugin for `make mutation` only (loaded by pyproject's [tool.mutmut] pytest_add_cli_args).

mutmut 3.7 maps tests to the functions they reach through `item._nodeid`, which pytest 9 no longer
sets: give each collected test that attribute back. And a mutant is killed by the first failing
example: shrinking it (minutes for a large history) would only make the run slower.
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate], database=None)
settings.load_profile("mutation")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item._nodeid = item.nodeid  # type: ignore[attr-defined]
