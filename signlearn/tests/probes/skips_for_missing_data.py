"""Run only by test_ci_skips.py: one test whose shared data is missing, one skipped for another reason."""

import pytest


def test_needs_missing_shared_data():
    pytest.skip("needs the shared ISLR clips: /nowhere/videos is absent")


def test_skipped_for_another_reason():
    pytest.skip("TensorFlow is only in .venv-train")
