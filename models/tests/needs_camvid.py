"""The gate of every test that needs the real CamVid.

Where the dataset is absent such a test is skipped, and the skip says why and how to get it;
under CI (the environment variable CI set), which has the dataset, it runs instead and fails
with the same words, so a CI without CamVid cannot pass by skipping.
"""

import functools
import os
import unittest

from fcn.data import camvid_missing, camvid_root, has_camvid


def needs_camvid(test):
    """Decorates a test method that reads CamVid (see the module's doc)."""
    if has_camvid(camvid_root()):
        return test
    if os.environ.get("CI"):
        @functools.wraps(test)
        def fail(self, *args, **kwargs):
            self.fail(f"{camvid_missing()} (CI is set: tests that need CamVid must run there)")
        return fail
    return unittest.skip(camvid_missing())(test)
