"""Where the Python loaders read CamVid: the rule of models/camvid-location.json."""

import os
import unittest
from pathlib import Path
from unittest import mock

from fcn.data import REPO, camvid_candidates, camvid_missing, camvid_root, has_camvid


class CamvidLocationTest(unittest.TestCase):
    def test_candidates_are_the_repositorys_data_folder_then_the_shared_copy(self):
        self.assertEqual(camvid_candidates(), [(REPO / "data/camvid").resolve(),
                                               (REPO / "../shared/datasets/camvid").resolve()])

    def test_fcn_data_dir_wins_present_or_not(self):
        with mock.patch.dict(os.environ, {"FCN_DATA_DIR": "/nowhere/camvid"}):
            self.assertEqual(camvid_root(), Path("/nowhere/camvid"))
            self.assertIn("FCN_DATA_DIR=/nowhere/camvid", camvid_missing())
            self.assertIn("npx fcn data camvid", camvid_missing())

    def test_without_it_the_first_candidate_holding_train_txt(self):
        with mock.patch.dict(os.environ, {"FCN_DATA_DIR": ""}):
            found = next((c for c in camvid_candidates() if has_camvid(c)), camvid_candidates()[0])
            self.assertEqual(camvid_root(), found)


if __name__ == "__main__":
    unittest.main()
