"""The cross-drive split, the augmentations and the losses on tiny shapes."""

import unittest

import torch

from fcn.data import (IGNORE_INDEX, augment_batch, class_mix, drive_of, epoch_order, list_pairs,
                      photometric, split_drives)
from fcn.losses import LOSSES, distillation, lovasz_softmax, ohem
from tests.needs_camvid import needs_camvid


class CrossDriveSplitTest(unittest.TestCase):
    def test_drive_is_the_file_name_prefix(self):
        self.assertEqual(drive_of("train/0006R0_f02310.png"), "0006R0")

    @needs_camvid
    def test_holdout_drive_leaves_training_and_is_whole(self):
        train = list_pairs("train", exclude_drives=["0006R0"])
        held = list_pairs("train+val", drives=["0006R0"])
        self.assertEqual((len(train), len(held)), (266, 101))
        self.assertFalse({drive_of(i) for i, _ in train} & {"0006R0"})
        self.assertEqual(len(list_pairs("train+val")), 468)
        drives = split_drives("train", exclude_drives=["0006R0"])
        self.assertEqual((drives.count("0016E5"), drives.count("0001TP")), (204, 62))
        self.assertEqual(split_drives("train", limit=5), [drive_of(i) for i, _ in list_pairs("train")[:5]])

    def test_balanced_epochs_draw_every_drive_equally_often(self):
        g = torch.Generator().manual_seed(0)
        drives = ["0016E5"] * 90 + ["0001TP"] * 10
        self.assertEqual(sorted(epoch_order(drives, g).tolist()), list(range(100)))  # plain: a permutation
        drawn = torch.cat([epoch_order(drives, g, balance=True) for _ in range(50)])
        self.assertEqual(len(drawn), 5000)
        share = float((drawn >= 90).double().mean())  # indices 90-99 are 0001TP's
        self.assertAlmostEqual(share, 0.5, delta=0.03)


class AugmentTest(unittest.TestCase):
    def test_crops_and_whole_frames_keep_images_and_labels_aligned(self):
        g = torch.Generator().manual_seed(0)
        images = torch.randint(0, 256, (2, 3, 36, 48), dtype=torch.uint8)
        labels = torch.randint(0, 12, (2, 36, 48), dtype=torch.uint8)
        x, y = augment_batch(images, labels, 32, (0.35, 2.5), g, "strong")
        self.assertEqual((tuple(x.shape), tuple(y.shape)), ((2, 3, 32, 32), (2, 32, 32)))
        x, y = augment_batch(images, labels, None, (0.35, 2.5), g, "strong")
        self.assertEqual(tuple(x.shape), (2, 3, 36, 48))
        self.assertTrue(torch.isfinite(x).all())

    def test_frames_on_another_device_are_augmented_there(self):
        # A GPU run keeps its frames on the GPU, so every tensor the augmentation makes must
        # follow them there. The "meta" device (shapes only) stands in for CUDA: a constant
        # left on the CPU fails as it would on a GPU. Every branch of the strong jitter is hit
        # in 16 draws (blur a quarter, noise half the time).
        images = torch.zeros(2, 3, 36, 48, dtype=torch.uint8, device="meta")
        labels = torch.zeros(2, 36, 48, dtype=torch.uint8, device="meta")
        g = torch.Generator().manual_seed(0)
        for crop in [32] * 8 + [None] * 8:
            x, y = augment_batch(images, labels, crop, (0.35, 2.5), g, "strong")
            self.assertEqual((x.device.type, y.device.type, y.dtype), ("meta", "meta", torch.int64))
            self.assertEqual(tuple(x.shape), (2, 3, 32, 32) if crop else (2, 3, 36, 48))

    def test_strong_jitter_stays_in_range_and_changes_colour(self):
        x = torch.rand(3, 8, 8) * 255
        for seed in range(20):
            r = torch.rand(10, generator=torch.Generator().manual_seed(seed)).tolist()
            y = photometric(x.clone(), r, "strong")
            self.assertGreaterEqual(float(y.min()), 0.0)
            self.assertLessEqual(float(y.max()), 255.0)

    def test_class_mix_pastes_whole_classes_of_the_neighbour_image_and_label_alike(self):
        g = torch.Generator().manual_seed(0)
        labels = torch.randint(0, 12, (4, 16, 16))
        images = torch.randn(4, 3, 16, 16)
        x, y = class_mix(images, labels, g, p=1.0)
        for i in range(4):
            j = (i + 1) % 4
            pasted = (y[i] != labels[i]) | (x[i] != images[i]).any(0)
            # Pasted pixels carry the neighbour's image and label together, never its void.
            self.assertTrue(torch.equal(x[i][:, pasted], images[j][:, pasted]))
            self.assertTrue(torch.equal(y[i][pasted], labels[j][pasted]))
            self.assertFalse((labels[j][pasted] == IGNORE_INDEX).any())
            # A class is pasted whole, wherever the neighbour has it, or not at all.
            chosen = labels[j][pasted].unique()
            whole = torch.isin(labels[j], chosen)
            self.assertTrue(torch.equal(y[i][whole], labels[j][whole]))
            self.assertTrue(0 < len(chosen) <= 6)
        self.assertTrue(torch.equal(class_mix(images, labels, g, p=0.0)[1], labels))


class LossTest(unittest.TestCase):
    def test_every_loss_ignores_void_and_has_finite_gradients(self):
        torch.manual_seed(0)
        logits = torch.randn(2, 11, 16, 16, requires_grad=True)
        labels = torch.randint(0, 11, (2, 16, 16))
        labels[:, :4] = IGNORE_INDEX
        for name, loss in LOSSES.items():
            value = loss(logits, labels, torch.ones(11))
            (grad,) = torch.autograd.grad(value, logits)
            self.assertTrue(torch.isfinite(grad).all(), name)
            self.assertEqual(float(grad[:, :, :4].abs().sum()), 0.0, f"{name} learns from void")

    def test_lovasz_is_zero_for_a_perfect_confident_prediction(self):
        labels = torch.randint(0, 11, (1, 8, 8))
        logits = torch.nn.functional.one_hot(labels, 11).permute(0, 3, 1, 2).float() * 100
        self.assertAlmostEqual(float(lovasz_softmax(logits, labels)), 0.0, places=5)

    def test_ohem_keeps_the_hardest_pixels(self):
        labels = torch.zeros(1, 1, 4, dtype=torch.long)
        logits = torch.zeros(1, 11, 1, 4)
        logits[0, 0, 0, :3] = 20.0  # three easy pixels, one hard one
        hard_only = ohem(logits, labels, torch.ones(11), min_kept_fraction=0.25)
        all_pixels = LOSSES["ce"](logits, labels, torch.ones(11))
        self.assertGreater(float(hard_only), float(all_pixels))


class DistillationTest(unittest.TestCase):
    def test_zero_when_the_student_matches_the_teacher(self):
        torch.manual_seed(0)
        teacher = torch.randn(2, 11, 8, 8)
        labels = torch.randint(0, 11, (2, 8, 8))
        for t in (1.0, 4.0):
            self.assertAlmostEqual(float(distillation(teacher.clone(), teacher, labels, t)), 0.0, places=6)

    def test_positive_otherwise_and_the_teacher_gets_no_gradient(self):
        torch.manual_seed(0)
        student = torch.randn(2, 11, 8, 8, requires_grad=True)
        teacher = torch.randn(2, 11, 8, 8, requires_grad=True)
        labels = torch.randint(0, 11, (2, 8, 8))
        value = distillation(student, teacher, labels, 2.0)
        self.assertGreater(float(value), 0.0)
        value.backward()
        self.assertIsNone(teacher.grad)
        self.assertGreater(float(student.grad.abs().sum()), 0.0)

    def test_void_pixels_do_not_count(self):
        torch.manual_seed(0)
        student = torch.randn(1, 11, 8, 8, requires_grad=True)
        teacher = torch.randn(1, 11, 8, 8)
        labels = torch.randint(0, 11, (1, 8, 8))
        labels[:, :3] = IGNORE_INDEX
        value = distillation(student, teacher, labels)
        changed = teacher.clone()
        changed[:, :, :3] = torch.randn(1, 11, 3, 8) * 10  # a different teacher only on void
        self.assertAlmostEqual(float(distillation(student, changed, labels)), float(value), places=6)
        (grad,) = torch.autograd.grad(value, student)
        self.assertEqual(float(grad[:, :, :3].abs().sum()), 0.0)
        all_void = torch.full_like(labels, IGNORE_INDEX)
        self.assertEqual(float(distillation(student, teacher, all_void)), 0.0)


if __name__ == "__main__":
    unittest.main()
