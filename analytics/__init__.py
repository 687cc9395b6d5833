"""The pure metric core: events → facts → contributions → per-account windowed views → SPEC §3.

Plain Python (no Faust, no web framework), so it is tested without a broker and reused by any shell.
"""
