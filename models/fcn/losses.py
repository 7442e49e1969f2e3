"""Training losses, each ``loss(logits (N, C, H, W), labels (N, H, W), class_weights (C,))``.

Void (``IGNORE_INDEX``) never counts. The thin classes (pole, sign, fence, pedestrian,
bicyclist) are where mean IU is lost; ``ohem`` and ``ce+lovasz`` aim at them (see the model card's
ablation for what the cross-drive score supported).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .data import IGNORE_INDEX


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Class-weighted cross-entropy (the paper's per-pixel multinomial logistic loss)."""
    return F.cross_entropy(logits, labels, weight=weights, ignore_index=IGNORE_INDEX)


def ohem(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor, threshold: float = 0.7,
         min_kept_fraction: float = 1 / 16) -> torch.Tensor:
    """Online hard example mining: the mean weighted loss over pixels whose true-class
    probability is below ``threshold``, and never fewer than ``min_kept_fraction`` of the
    valid pixels (the hardest ones)."""
    per_pixel = F.cross_entropy(logits, labels, weight=weights, ignore_index=IGNORE_INDEX, reduction="none")
    per_pixel = per_pixel[labels != IGNORE_INDEX]
    if per_pixel.numel() == 0:
        return logits.sum() * 0.0
    hard = per_pixel[per_pixel > -torch.log(torch.tensor(threshold))]
    min_kept = max(1, int(per_pixel.numel() * min_kept_fraction))
    if hard.numel() < min_kept:
        hard = per_pixel.topk(min_kept).values
    return hard.mean()


def lovasz_grad(gt_sorted: torch.Tensor) -> torch.Tensor:
    """Gradient of the Lovász extension of the Jaccard loss for errors sorted descending
    (Berman et al., 2018, Alg. 1)."""
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1.0 - gt_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def lovasz_softmax(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Lovász-softmax over the classes present in the batch: a direct surrogate of mean IU."""
    probs = logits.softmax(1).permute(0, 2, 3, 1).reshape(-1, logits.shape[1])
    flat = labels.reshape(-1)
    valid = flat != IGNORE_INDEX
    probs, flat = probs[valid], flat[valid]
    losses = []
    for c in flat.unique():
        fg = (flat == c).float()
        errors = (fg - probs[:, c]).abs()
        errors_sorted, perm = errors.sort(descending=True)
        losses.append(torch.dot(errors_sorted, lovasz_grad(fg[perm])))
    return torch.stack(losses).mean() if losses else logits.sum() * 0.0


def ce_lovasz(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted cross-entropy plus Lovász-softmax, equally weighted."""
    return cross_entropy(logits, labels, weights) + lovasz_softmax(logits, labels)


def distillation(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
                 temperature: float = 1.0) -> torch.Tensor:
    """Knowledge distillation (Hinton et al., 2015) per pixel: ``T^2 * KL(softmax(teacher/T) ||
    softmax(student/T))`` averaged over non-void pixels. The ``T^2`` keeps the gradient's size
    independent of ``T``. The teacher is a fixed target (no gradient reaches it)."""
    log_student = F.log_softmax(student_logits / temperature, dim=1)
    log_teacher = F.log_softmax(teacher_logits.detach() / temperature, dim=1)
    kl = (log_teacher.exp() * (log_teacher - log_student)).sum(1)
    valid = labels != IGNORE_INDEX
    if not valid.any():
        return student_logits.sum() * 0.0
    return kl[valid].mean() * temperature ** 2


LOSSES = {"ce": cross_entropy, "ohem": ohem, "ce+lovasz": ce_lovasz}
