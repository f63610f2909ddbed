"""Deliberately wrong (wrong.py) and correct-but-different (alternative.py) implementations
of the graded functions, used by tests/test_mutants.py."""
