"""Score a digit generator the way the ``dcgan-mnist`` card does: FID, KID, precision/recall, digit shares.

All distances are computed on the 128-d features of the bundled digit
classifier (``pretrained.load("digit-classifier").features``), comparing
``n`` generated digits with the held-out real digits of ``mnist-5k``'s test
split (1,000 images). The generated digits are also *classified*; the share of
each class among them shows mode collapse (a GAN that forgot a digit has ~0 %
of it). Only numbers computed with the same feature network and the same ``n``
are comparable (FID is biased by the sample size; see lesson 04).

    python -m imgsynth_edu.evaluate_gan --pretrained dcgan-mnist --write-card

Lesson: ``02_dcgan.ipynb`` (FID/KID/precision-recall over training).
"""

from __future__ import annotations

import argparse
import json
import sys

import torch

from ._checks import check_positive_int


def digit_gan_scores(generator, n: int = 1000, seed: int = 0, real_images: torch.Tensor | None = None,
                     classifier=None, kid_subset: int = 500) -> dict:
    """FID, KID, precision/recall (k=3) and per-digit shares of ``n`` samples of a 1×28×28 generator.

    Args:
        generator: has ``sample(n, generator=...)`` returning ``N×1×28×28`` in ``[0, 1]``.
        n: samples to draw (the card uses 1,000 against the 1,000 held-out real digits).
        seed: seeds the samples and the KID subsets.
        real_images: the reference digits (default: ``mnist-5k`` test split).
        classifier: a :class:`~imgsynth_edu.models.classifier.DigitClassifier` (default: the bundled one).
    """
    from . import pretrained
    from .data import get_dataset, stack_dataset
    from .metrics import extract_features, fid, kid, precision_recall

    check_positive_int(n, "n")
    if real_images is None:
        real_images, _ = stack_dataset(get_dataset("mnist-5k", "test"))
    if classifier is None:
        classifier = pretrained.load("digit-classifier")
    classifier = classifier.cpu().eval()
    with torch.no_grad():
        fake = torch.cat([generator.sample(min(500, n - i), generator=torch.Generator().manual_seed(seed * 1000 + i))
                          for i in range(0, n, 500)]).cpu()  # (n, 1, 28, 28)
        real_features = extract_features(real_images, classifier.features)  # (R, 128)
        fake_features = extract_features(fake, classifier.features)  # (n, 128)
        labels = classifier.predict(fake)  # (n,)
    subset = min(kid_subset, len(real_features), len(fake_features))
    kid_mean, kid_std = kid(real_features, fake_features, subset_size=subset, num_subsets=50,
                            generator=torch.Generator().manual_seed(seed))
    precision, recall = precision_recall(real_features, fake_features, k=3)
    shares = torch.bincount(labels, minlength=classifier.num_classes).float() / n
    return {
        "fid": round(fid(real_features, fake_features), 3),
        "kid": round(kid_mean, 5),
        "kid_std": round(kid_std, 5),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "digit_shares": [round(float(s), 4) for s in shares],
        "min_digit_share": round(float(shares.min()), 4),
        "n_samples": n,
        "n_real": len(real_images),
        "features": "digit-classifier 128-d embedding",
        "real": "mnist-5k test split",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pretrained", default="dcgan-mnist", help="bundled generator to score")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write-card", action="store_true", help="store the scores in the checkpoint's card")
    args = parser.parse_args(argv)
    from . import pretrained
    from .utils import atomic_write

    torch.manual_seed(args.seed)
    scores = digit_gan_scores(pretrained.load(args.pretrained), n=args.n, seed=args.seed)
    real_reference = digit_gan_scores(_RealDigits(), n=args.n, seed=args.seed)  # the same numbers for real digits
    scores["reference_real_train_vs_test"] = {k: real_reference[k] for k in ("fid", "kid", "precision", "recall", "min_digit_share")}
    scores["command"] = f"python -m imgsynth_edu.evaluate_gan --pretrained {args.pretrained} --n {args.n} --seed {args.seed} --write-card"
    print(json.dumps(scores, indent=2))
    if args.write_card:
        path = pretrained.WEIGHTS_DIR / f"{args.pretrained}.json"
        card = json.loads(path.read_text(encoding="utf-8"))
        card["scores"] = scores
        with atomic_write(path, "w") as handle:
            json.dump(card, handle, indent=2, ensure_ascii=False)
        print(f"wrote the scores into {path}")
    return 0


class _RealDigits:
    """Real ``mnist-5k`` *train* digits posing as a generator: the floor the scores can reach."""

    def __init__(self):
        from .data import get_dataset, stack_dataset

        self.images, _ = stack_dataset(get_dataset("mnist-5k", "train"))

    def sample(self, n, labels=None, generator=None):
        index = torch.randperm(len(self.images), generator=generator)[:n]
        return self.images[index]


if __name__ == "__main__":
    sys.exit(main())
