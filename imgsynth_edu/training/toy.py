"""The 2-D toy GAN of lesson 01, trained and *recorded*: modes covered over training, then saved.

A GAN on a 2-D mixture of Gaussians (:mod:`imgsynth_edu.data.toy2d`) is small
enough to train on a CPU, but the 25-Gaussians grid needs more steps than a
lesson's quick mode allows. :func:`record_toy_run` trains the toy GAN with the
one loop of :mod:`imgsynth_edu.training.gan` and scores its generator every
``record_every`` steps (modes covered, share of high-quality samples; Metz et
al. 2017, Srivastava et al. 2017), so a lesson can show a finished run *and*
how it got there. ``imgsynth-edu train toy-gan`` (:mod:`imgsynth_edu.cli.gan`) writes the result as a
bundled checkpoint (``NAME.pt`` + card ``NAME.json``, see
:mod:`imgsynth_edu.pretrained`) whose card holds the exact command and that
history::

    imgsynth-edu train toy-gan --toy grid --steps 20000 --record-every 1000 --hidden 128 \\
        --out imgsynth_edu/pretrained/weights/toy-grid-gan.pt

The defaults are lesson 01's settings: MLPs of 3 hidden layers of 64 units, a
2-D latent, batches of 256, Adam with learning rate ``1e-3`` for both players
and ``betas=(0.0, 0.9)`` (as in WGAN-GP, Gulrajani et al. 2017, Alg. 1), the
non-saturating loss, and an EMA copy of the generator (decay 0.99) that is the
one scored and saved.

Lesson: ``01_gan_from_scratch.ipynb``.
"""

from __future__ import annotations

import time

import torch

from .._checks import check_choice, check_positive_int
from ..data.toy2d import grid_of_gaussians, ring_of_gaussians
from ..models.gan import MLPDiscriminator, MLPGenerator
from ..utils import seed_everything
from .gan import GANTrainer

#: The two toys, by the name used on the command line and in cards.
TOYS = ("ring", "grid")

#: Samples drawn (seeded) to score a toy generator: 2,500 as in PacGAN (Lin et al. 2018, Sec. 5).
SCORE_SAMPLES = 2500


def toy_distribution(name: str):
    """``"ring"`` -> the 8-Gaussians ring, ``"grid"`` -> the 25-Gaussians grid (default σ = 0.05)."""
    check_choice(name, "toy", set(TOYS))
    return ring_of_gaussians() if name == "ring" else grid_of_gaussians()


def score_toy_generator(generator, toy, seed: int = 2) -> dict:
    """Modes covered and high-quality share of ``SCORE_SAMPLES`` seeded samples of ``generator``."""
    samples = generator.sample(SCORE_SAMPLES, generator=torch.Generator().manual_seed(seed))  # (2500, 2)
    return toy.evaluate(samples)


def record_toy_run(toy: str = "grid", steps: int = 20000, record_every: int = 1000, seed: int = 0,
                   hidden: int = 64, lr: float = 1e-3, betas: tuple[float, float] = (0.0, 0.9),
                   ema_decay: float = 0.99, loss: str = "non-saturating", batch_size: int = 256) -> dict:
    """Train the toy GAN on ``toy`` for ``steps`` steps; score its EMA generator every ``record_every`` steps.

    The data are 20,000 points drawn from the toy with ``torch.Generator().manual_seed(1)``
    (as in lesson 01). Returns ``{"generator": the EMA MLPGenerator, "history":
    [{"step", "modes_covered", "n_modes", "high_quality"}, ...], "config": {...},
    "wall_time_s": seconds of training and scoring}``.

    Lesson: ``01_gan_from_scratch.ipynb``.
    """
    distribution = toy_distribution(toy)
    check_positive_int(steps, "steps")
    check_positive_int(record_every, "record_every")
    config = {"toy": toy, "steps": steps, "record_every": record_every, "seed": seed, "hidden": hidden, "lr": lr,
              "betas": list(betas), "ema_decay": ema_decay, "loss": loss, "batch_size": batch_size}
    seed_everything(seed)
    data = distribution.sample(20_000, torch.Generator().manual_seed(1))  # (20000, 2)
    trainer = GANTrainer(MLPGenerator(2, (2,), hidden, 3), MLPDiscriminator((2,), hidden, 3), data, loss=loss,
                         steps=steps, batch_size=batch_size, lr_g=lr, lr_d=lr, betas=tuple(betas),
                         ema_decay=ema_decay, seed=seed, log_every=50, device="cpu", progress=False)
    history = []
    start = time.perf_counter()
    for target in list(range(record_every, steps, record_every)) + [steps]:
        trainer.fit(target)
        scores = score_toy_generator(trainer.generator_ema, distribution)
        history.append({"step": target, "modes_covered": scores["modes_covered"], "n_modes": scores["n_modes"],
                        "high_quality": round(scores["high_quality"], 4)})
    return {"generator": trainer.generator_ema, "history": history, "config": config,
            "wall_time_s": round(time.perf_counter() - start, 1)}


__all__ = ["SCORE_SAMPLES", "TOYS", "record_toy_run", "score_toy_generator", "toy_distribution"]
