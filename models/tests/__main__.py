"""`python -m tests` (from models/): every model test, then each skipped one with its reason.

unittest's summary only counts skips; a clone without CamVid should see which tests did not
run and why (README, "CamVid").
"""
import sys
import unittest

suite = unittest.defaultTestLoader.discover("tests", top_level_dir=".")
result = unittest.TextTestRunner().run(suite)
for test, reason in result.skipped:
    print(f"skipped {test.id()}: {reason}")
sys.exit(0 if result.wasSuccessful() else 1)
