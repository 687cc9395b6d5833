"""The metric core stays plain Python: no stream processor or web framework behind it."""

from __future__ import annotations

import subprocess
import sys


def test_the_core_imports_neither_faust_nor_starlette() -> None:
    # A fresh interpreter: in this one the other tests may already have imported both.
    code = (
        "import sys, analytics.window, analytics.facts, analytics.time; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'faust', 'starlette', 'aiokafka', 'mode'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
