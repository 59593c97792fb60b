"""Test suite: invariants over the parsed plan, the index, answers, the eval set, the app."""
