"""imgsynth_edu.interpret: activations, attributions (against Captum), KernelSHAP, the randomisation
sanity check, GANSpace directions and receptive fields.

Tolerances: gradient methods agree with Captum to float32 rounding (atol 1e-6, rtol 1e-5; the
integrals of integrated gradients add 16-32 float32 terms: rtol 1e-4); occlusion to 1e-5;
Shapley values on a linear model, where they are known exactly, to 1e-3 of the largest value
(Captum solves its regression in float32 with scikit-learn).
"""

from __future__ import annotations

import functools
import itertools
import math

import pytest
import torch
from torch import nn

from imgsynth_edu import pretrained
from imgsynth_edu.data import get_dataset, load_photo, stack_dataset
from imgsynth_edu.interpret import (
    PASS_THRESHOLDS,
    cascading_randomisation,
    completeness,
    edge_detector,
    effective_receptive_field,
    ganspace_directions,
    get_activations,
    gradient_x_input,
    grid_superpixels,
    integrated_gradients,
    kernel_shap,
    layer_names,
    normalised_abs_map,
    occlusion,
    paint_superpixels,
    passes_randomisation_test,
    randomisable_layers,
    receptive_field,
    record_activations,
    saliency,
    shapley_kernel,
    shapley_values,
    slic_superpixels,
    spearman_rank_correlation,
    walk_latent_direction,
)

captum_attr = pytest.importorskip("captum.attr", reason="Captum (the dev extra) is the reference")


# ----------------------------------------------------------------------------
# Fixtures: the bundled classifier on real digits, and a small random conv net
# ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def classifier():
    return pretrained.load("digit-classifier")


@pytest.fixture(scope="module")
def digits():
    images, labels = stack_dataset(get_dataset("mnist-5k", "test"), limit=4)
    return images, labels  # (4, 1, 28, 28), (4,)


def small_conv_net(seed: int = 0) -> nn.Module:
    """3×16×16 -> 5 logits, with a stride and a smooth non-linearity."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1),  # (N, 6, 16, 16)
        nn.Tanh(),
        nn.Conv2d(6, 8, 3, stride=2, padding=1),  # (N, 8, 8, 8)
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 8 * 8, 5),  # (N, 5)
    ).eval()


@pytest.fixture(scope="module")
def colour_images():
    return torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(1))


def close(ours, theirs, rtol=1e-5, atol=1e-6):
    torch.testing.assert_close(ours, theirs.detach(), rtol=rtol, atol=atol)


def leaf(images: torch.Tensor) -> torch.Tensor:
    """Captum's gradient methods want inputs that already require gradients (else they warn)."""
    return images.clone().requires_grad_(True)


# ----------------------------------------------------------------------------
# Activations
# ----------------------------------------------------------------------------


def hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_activations_by_layer_name_match_a_manual_forward_pass(classifier, digits):
    images, _ = digits
    activations = get_activations(classifier, images, ["conv1", "conv2", "embed"])
    assert list(activations) == ["conv1", "conv2", "embed"]
    assert activations["conv1"].shape == (4, 32, 28, 28)
    assert activations["conv2"].shape == (4, 64, 14, 14)
    assert activations["embed"].shape == (4, 128)
    with torch.no_grad():
        expected = classifier.conv1((images - 0.5) / 0.5)
    torch.testing.assert_close(activations["conv1"], expected)
    assert hook_count(classifier) == 0


def test_recorded_activations_survive_a_following_in_place_relu():
    generator = pretrained.load("dcgan-mnist")  # net.1 is BatchNorm, net.2 an in-place ReLU
    z = torch.randn(3, generator.latent_dim, generator=torch.Generator().manual_seed(0))
    activations = get_activations(generator, z, ["net.1", "net.2"])
    assert (activations["net.1"] < 0).any()  # the BN output was copied before the ReLU overwrote it
    torch.testing.assert_close(activations["net.2"], activations["net.1"].clamp_min(0))


def test_hooks_are_removed_after_success_and_after_an_error(classifier, digits):
    images, _ = digits
    with record_activations(classifier, "conv2") as recorded:
        assert hook_count(classifier) == 1
        classifier(images)
    assert recorded["conv2"].shape == (4, 64, 14, 14)
    assert hook_count(classifier) == 0
    with pytest.raises(ValueError, match="28×28"), record_activations(classifier, ["conv1", "head"]):
        classifier(torch.rand(2, 1, 32, 32))  # the model itself raises mid-block
    assert hook_count(classifier) == 0
    with pytest.raises(ValueError, match="28×28"):
        get_activations(classifier, torch.rand(2, 1, 32, 32), "conv1")
    assert hook_count(classifier) == 0


def test_an_unknown_layer_name_lists_the_available_ones(classifier, digits):
    assert layer_names(classifier) == ["conv1", "conv2", "embed", "head"]
    with pytest.raises(ValueError, match=r"'conv3'.*available layer names: conv1, conv2, embed, head"):
        get_activations(classifier, digits[0], ["conv1", "conv3"])
    with pytest.raises(ValueError, match="non-empty list"):
        get_activations(classifier, digits[0], [])
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        get_activations(lambda x: x, digits[0], "conv1")


# ----------------------------------------------------------------------------
# Gradient methods against Captum
# ----------------------------------------------------------------------------


def test_saliency_agrees_with_captum(classifier, digits, colour_images):
    images, labels = digits
    close(saliency(classifier, images, labels), captum_attr.Saliency(classifier).attribute(leaf(images), target=labels))
    close(saliency(classifier, images, 7, absolute=False),
          captum_attr.Saliency(classifier).attribute(leaf(images), target=7, abs=False))
    net = small_conv_net()
    close(saliency(net, colour_images, 2), captum_attr.Saliency(net).attribute(leaf(colour_images), target=2))


def test_gradient_x_input_agrees_with_captum(classifier, digits, colour_images):
    images, labels = digits
    close(gradient_x_input(classifier, images, labels),
          captum_attr.InputXGradient(classifier).attribute(leaf(images), target=labels))
    net = small_conv_net()
    close(gradient_x_input(net, colour_images, 4), captum_attr.InputXGradient(net).attribute(leaf(colour_images), target=4))


@pytest.mark.parametrize("method", ["left", "right", "middle"])
def test_integrated_gradients_agree_with_captum_riemann_sums(classifier, digits, colour_images, method):
    images, labels = digits
    ours = integrated_gradients(classifier, images, labels, steps=16, method=method)
    theirs = captum_attr.IntegratedGradients(classifier).attribute(
        images, baselines=0.0, target=labels, n_steps=16, method=f"riemann_{method}")
    close(ours, theirs, rtol=1e-4, atol=1e-6)
    net = small_conv_net()
    grey = torch.full_like(colour_images, 0.5)
    ours = integrated_gradients(net, colour_images, 1, baseline=grey, steps=16, method=method)
    theirs = captum_attr.IntegratedGradients(net).attribute(
        colour_images, baselines=grey, target=1, n_steps=16, method=f"riemann_{method}")
    close(ours, theirs, rtol=1e-4, atol=1e-6)


def test_trapezoid_rule_is_captums_rescaled_to_weights_that_sum_to_one(classifier, digits):
    # Captum's riemann_trapezoid uses the points 0, 1/(m-1), .., 1 with step sizes 1/m (ends halved):
    # its weights sum to (m-1)/m. Ours use 1/(m-1), a proper quadrature rule.
    images, labels = digits
    steps = 16
    ours = integrated_gradients(classifier, images, labels, steps=steps, method="trapezoid")
    theirs = captum_attr.IntegratedGradients(classifier).attribute(
        images, baselines=0.0, target=labels, n_steps=steps, method="riemann_trapezoid")
    close(ours, theirs * steps / (steps - 1), rtol=1e-4, atol=1e-6)


def test_integrated_gradients_become_complete_as_steps_grow(classifier, digits):
    images, labels = digits
    gaps = {}
    for steps in (4, 32):
        attributions = integrated_gradients(classifier, images, labels, steps=steps)
        check = completeness(classifier, images, attributions, labels)
        gaps[steps] = check.relative_gap.max().item()
        with torch.no_grad():
            expected = classifier(images)[torch.arange(4), labels] - classifier(torch.zeros_like(images))[:, labels].diagonal()
        torch.testing.assert_close(check.output_difference, expected)
    assert gaps[32] < gaps[4]
    assert gaps[32] < 0.05  # within the 5 % the paper suggests checking for


def test_gradient_x_input_is_complete_for_a_linear_model_and_saliency_is_not():
    torch.manual_seed(0)
    linear = nn.Sequential(nn.Flatten(), nn.Linear(2 * 6 * 6, 1))
    images = torch.rand(3, 2, 6, 6)
    exact = completeness(linear, images, gradient_x_input(linear, images))
    torch.testing.assert_close(exact.attribution_sum, exact.output_difference, rtol=1e-5, atol=1e-5)
    assert exact.relative_gap.max() < 1e-4
    assert completeness(linear, images, saliency(linear, images)).relative_gap.min() > 0.1


def test_target_selects_a_pixel_of_an_image_output(colour_images):
    torch.manual_seed(0)
    restorer = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.PixelShuffle(2)).eval()  # (N, 3, 32, 32)
    ours = saliency(restorer, colour_images, (1, 10, 12))
    theirs = captum_attr.Saliency(restorer).attribute(leaf(colour_images), target=(1, 10, 12))
    close(ours, theirs)
    # the pixel at high-res (10, 12) comes from low-res (5, 6): its 3×3 neighbourhood, nothing else
    support = ours.sum((0, 1)).nonzero()
    assert support[:, 0].min() == 4 and support[:, 0].max() == 6
    assert support[:, 1].min() == 5 and support[:, 1].max() == 7
    summed = saliency(restorer, colour_images, lambda out: out[:, :, 10, 12].sum(1))
    assert summed.shape == colour_images.shape


# ----------------------------------------------------------------------------
# Occlusion
# ----------------------------------------------------------------------------


def test_occlusion_agrees_with_captum(classifier, digits, colour_images):
    images, labels = digits
    ours = occlusion(classifier, images, labels, window=6, stride=4, baseline=0.0)  # overlapping windows
    theirs = captum_attr.Occlusion(classifier).attribute(
        images, sliding_window_shapes=(1, 6, 6), strides=(1, 4, 4), baselines=0.0, target=labels)
    close(ours, theirs, rtol=1e-5, atol=1e-5)
    net = small_conv_net()
    ours = occlusion(net, colour_images, 3, window=4, stride=4, baseline=0.5)
    theirs = captum_attr.Occlusion(net).attribute(
        colour_images, sliding_window_shapes=(3, 4, 4), strides=(1, 4, 4), baselines=0.5, target=3)
    close(ours, theirs, rtol=1e-5, atol=1e-5)


def test_occlusion_of_a_linear_model_is_each_windows_contribution():
    torch.manual_seed(0)
    linear = nn.Sequential(nn.Flatten(), nn.Linear(1 * 8 * 8, 1))
    images = torch.rand(2, 1, 8, 8)
    weights = linear[1].weight.detach().reshape(1, 1, 8, 8)
    ours = occlusion(linear, images, window=4, stride=4, baseline=0.25)  # four non-overlapping windows
    contribution = (weights * (images - 0.25)).reshape(2, 1, 2, 4, 2, 4).sum((3, 5))  # (2, 1, 2, 2)
    expected = contribution.repeat_interleave(4, 2).repeat_interleave(4, 3)  # (2, 1, 8, 8)
    torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-6)


def test_occlusion_covers_every_pixel_when_the_stride_misses_the_border(colour_images):
    net = small_conv_net()
    # window 5, stride 4 on 16 pixels: windows start at 0, 4, 8 and 12; the last is cut to 4 pixels
    ours = occlusion(net, colour_images, 3, window=5, stride=4, baseline=0.5)
    theirs = captum_attr.Occlusion(net).attribute(
        colour_images, sliding_window_shapes=(3, 5, 5), strides=(1, 4, 4), baselines=0.5, target=3)
    close(ours, theirs, rtol=1e-5, atol=1e-6)
    assert (ours[..., -3:, :] != 0).all() and (ours[..., :, -3:] != 0).all()


# ----------------------------------------------------------------------------
# KernelSHAP
# ----------------------------------------------------------------------------


def test_shapley_kernel_formula():
    assert shapley_kernel(4, 1) == pytest.approx(3 / (4 * 1 * 3))
    assert shapley_kernel(4, 2) == pytest.approx(3 / (6 * 2 * 2))
    with pytest.raises(ValueError, match="size must be in 1 .. M-1"):
        shapley_kernel(4, 4)


@pytest.mark.parametrize("cell, n_samples", [(4, 2048), (3, 400)])  # 9 superpixels: every coalition; 16: sampled
def test_kernel_shap_recovers_exact_shapley_values_of_a_linear_model_like_captum(cell, n_samples):
    torch.manual_seed(0)
    linear = nn.Sequential(nn.Flatten(), nn.Linear(12 * 12, 1)).eval()
    images = torch.rand(2, 1, 12, 12)
    superpixels = grid_superpixels(12, 12, cell)  # (12, 12)
    count = int(superpixels.max()) + 1
    weights = linear[1].weight.detach().reshape(12, 12)
    # For f(x) = w·x + b, removing superpixel m changes f by Σ_{p in m} w_p (x_p - b_p): its exact value.
    exact = torch.stack([
        torch.stack([(weights * (image[0] - 0.2))[superpixels == m].sum() for m in range(count)]) for image in images
    ])  # (2, M)
    ours = shapley_values(linear, images, superpixels, baseline=0.2, n_samples=n_samples)
    scale = exact.abs().max().item()
    torch.testing.assert_close(ours, exact, rtol=0, atol=1e-3 * scale)
    for index in range(2):
        theirs = captum_attr.KernelShap(linear).attribute(
            images[index : index + 1], baselines=0.2, target=0, feature_mask=superpixels[None, None],
            n_samples=n_samples if cell == 3 else 600)
        theirs_per_segment = torch.stack([theirs[0, 0][superpixels == m][0] for m in range(count)])
        torch.testing.assert_close(theirs_per_segment, exact[index], rtol=0, atol=1e-3 * scale)
    painted = kernel_shap(linear, images, superpixels=superpixels, baseline=0.2, n_samples=n_samples)
    torch.testing.assert_close(painted, paint_superpixels(ours, superpixels))


def brute_force_shapley(value, count: int) -> list[float]:
    """The textbook formula: weighted average of marginal contributions over all subsets."""
    phi = []
    for player in range(count):
        others = [p for p in range(count) if p != player]
        total = 0.0
        for size in range(count):
            for subset in itertools.combinations(others, size):
                weight = math.factorial(size) * math.factorial(count - size - 1) / math.factorial(count)
                total += weight * (value(set(subset) | {player}) - value(set(subset)))
        phi.append(total)
    return phi


def test_kernel_shap_with_every_coalition_equals_the_shapley_formula_on_the_classifier(classifier, digits):
    images, labels = digits
    image, label = images[:1], int(labels[0])
    superpixels = grid_superpixels(28, 28, (14, 10))  # 2 × 3 = 6 superpixels: 62 coalitions
    ours = shapley_values(classifier, image, superpixels, label, n_samples=100)[0]

    subsets = [frozenset(s) for size in range(7) for s in itertools.combinations(range(6), size)]  # all 64
    masks = torch.stack([sum((superpixels == m).float() for m in s) * torch.ones(28, 28) for s in subsets])
    with torch.no_grad():
        logits = classifier(image * masks[:, None])[:, label]  # (64,): f of the image keeping each subset
    value_of = dict(zip(subsets, logits.tolist()))
    expected = torch.tensor(brute_force_shapley(lambda kept: value_of[frozenset(kept)], 6))
    torch.testing.assert_close(ours.double(), expected.double(), rtol=1e-4, atol=1e-4)


def test_sampled_shapley_values_keep_efficiency_and_approach_the_exact_ones(classifier, digits):
    images, labels = digits
    superpixels = grid_superpixels(28, 28, 10)  # 3 × 3 = 9 superpixels, 510 coalitions
    exact = shapley_values(classifier, images[:2], superpixels, labels[:2], n_samples=510)
    sampled = shapley_values(classifier, images[:2], superpixels, labels[:2], n_samples=300, seed=1)
    with torch.no_grad():
        difference = classifier(images[:2])[torch.arange(2), labels[:2]] - classifier(torch.zeros(2, 1, 28, 28))[
            torch.arange(2), labels[:2]]
    torch.testing.assert_close(sampled.sum(1), difference, rtol=1e-4, atol=1e-4)  # Σ φ = f(x) - f(x')
    for row in range(2):
        correlation = torch.corrcoef(torch.stack([exact[row], sampled[row]]))[0, 1]
        assert correlation > 0.9


def test_superpixels_are_contiguous_labels_and_bad_ones_are_refused(digits):
    grid = grid_superpixels(28, 28, 4)
    assert grid.shape == (28, 28) and grid.max() == 48 and torch.unique(grid).numel() == 49
    assert grid[0, 0] == 0 and grid[0, 4] == 1 and grid[4, 0] == 7
    segments = slic_superpixels(digits[0][0], n_segments=20)
    labels = torch.unique(segments)
    assert segments.shape == (28, 28) and labels[0] == 0 and torch.equal(labels, torch.arange(labels.numel()))
    colour = slic_superpixels(load_photo("chelsea")[:, :64, :64], n_segments=16)  # a cat's face
    assert colour.shape == (64, 64) and 8 <= int(colour.max()) + 1 <= 32
    linear = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 1))
    with pytest.raises(ValueError, match=r"superpixels must have shape \(H, W\) = \(28, 28\)"):
        shapley_values(linear, digits[0], grid_superpixels(14, 14, 2))
    with pytest.raises(ValueError, match="every label"):
        shapley_values(linear, digits[0], grid * 2)
    with pytest.raises(ValueError, match="image must hold one image"):
        slic_superpixels(digits[0])


# ----------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------


def test_bad_inputs_and_targets_raise_clear_errors(classifier, digits):
    images, labels = digits
    with pytest.raises(ValueError, match=r"inputs must have shape N×C×H×W"):
        saliency(classifier, images[0], 3)
    with pytest.raises(ValueError, match=r"inputs must have values in \[0, 1\]"):
        integrated_gradients(classifier, images * 2, 3)
    with pytest.raises(ValueError, match="target is None, but the model's output has shape"):
        saliency(classifier, images)
    with pytest.raises(ValueError, match="out of range"):
        gradient_x_input(classifier, images, 10)
    with pytest.raises(ValueError, match="target given per image must be 4 ints"):
        occlusion(classifier, images, labels[:3])
    with pytest.raises(ValueError, match="index"):
        saliency(classifier, images, (1, 2))
    with pytest.raises(ValueError, match="steps must be >= 2 for the trapezoid"):
        integrated_gradients(classifier, images, labels, steps=1)
    with pytest.raises(ValueError, match="method must be one of"):
        integrated_gradients(classifier, images, labels, method="simpson")
    with pytest.raises(ValueError, match="baseline must have the shape of inputs"):
        integrated_gradients(classifier, images, labels, baseline=torch.zeros(1, 1, 14, 14))
    with pytest.raises(ValueError, match=r"baseline must be a number in \[0, 1\]"):
        occlusion(classifier, images, labels, baseline=-1.0)
    with pytest.raises(ValueError, match="window 30×30 is larger"):
        occlusion(classifier, images, labels, window=30)
    with pytest.raises(ValueError, match="attributions must have the shape of inputs"):
        completeness(classifier, images, torch.zeros(4, 1, 14, 14), labels)
    with pytest.raises(TypeError, match="model must be"):
        saliency("not a model", images, 3)


def test_model_mode_is_restored_and_parameter_gradients_untouched(digits):
    model = pretrained.load("digit-classifier").train()
    saliency(model, digits[0], 3)
    integrated_gradients(model, digits[0], 3, steps=4)
    assert model.training
    assert all(p.grad is None for p in model.parameters())


# ----------------------------------------------------------------------------
# The randomisation test (Adebayo et al. 2018)
# ----------------------------------------------------------------------------


def test_randomisable_layers_follow_the_forward_pass_not_the_definition_order():
    class Backwards(nn.Module):
        def __init__(self):
            super().__init__()
            self.last = nn.Linear(4, 2)  # defined first, called last
            self.first = nn.Conv2d(1, 1, 3, padding=1)

        def forward(self, x):
            return self.last(self.first(x).mean((2, 3)).repeat(1, 4))

    assert randomisable_layers(Backwards(), torch.rand(1, 1, 8, 8)) == ["first", "last"]


def test_randomisation_test_fails_the_edge_detector_and_passes_gradient_saliency(classifier, digits):
    images, labels = digits
    before = {name: value.clone() for name, value in classifier.state_dict().items()}
    methods = {
        "gradient": saliency,
        "gradient × input": gradient_x_input,
        "integrated gradients": functools.partial(integrated_gradients, steps=8),
        "integrated gradients, grey baseline": functools.partial(integrated_gradients, steps=8, baseline=0.5),
        "edge detector": edge_detector,
    }
    result = cascading_randomisation(classifier, images, methods, target=labels, seed=0)
    assert result.layers == ["head", "embed", "conv2", "conv1"]  # top layer first
    assert all(torch.equal(value, before[name]) for name, value in classifier.state_dict().items())
    assert result.ssim["gradient"].shape == (4, 4) and result.spearman["gradient"].shape == (4, 4)
    # the edge detector ignores the model: identical maps at every step
    torch.testing.assert_close(result.ssim["edge detector"], torch.ones(4, 4))
    torch.testing.assert_close(result.spearman["edge detector"], torch.ones(4, 4), rtol=0, atol=1e-6)
    # the gradient depends on the weights: once all are random, its map shares little with the original
    final = result.at_full_randomisation()
    assert final["gradient"]["ssim"] < PASS_THRESHOLDS["ssim"]
    assert final["gradient"]["spearman"] < PASS_THRESHOLDS["spearman"]
    verdicts = passes_randomisation_test(result)
    assert verdicts["gradient"] and not verdicts["edge detector"]
    # as the paper notes for gradient ⊙ input: the input's structure keeps the map
    # rank-correlated (here x = 0 on the black background forces the map to 0 there)
    assert not verdicts["gradient × input"] and final["gradient × input"]["spearman"] > 0.9
    assert not verdicts["integrated gradients"]  # black baseline = the background: the same imprint
    assert verdicts["integrated gradients, grey baseline"]  # a grey baseline removes it
    # the verdict follows the stated thresholds
    assert not passes_randomisation_test(result, ssim_below=final["gradient"]["ssim"])["gradient"]
    assert len(result.table()) == 5 * 4
    assert "randomised down to" in str(result)


def test_spearman_of_a_map_with_itself_is_one_and_with_its_reverse_minus_one():
    maps = torch.rand(2, 1, 5, 5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(spearman_rank_correlation(maps, maps), torch.ones(2, dtype=torch.float32))
    torch.testing.assert_close(spearman_rank_correlation(maps, -maps), -torch.ones(2, dtype=torch.float32))
    assert spearman_rank_correlation(maps, torch.zeros_like(maps)).eq(0).all()


def test_normalised_abs_map_takes_the_channel_maximum_and_scales_to_one():
    attributions = torch.tensor([[[[1.0, -4.0]], [[-2.0, 0.5]]]])  # (1, 2, 1, 2)
    torch.testing.assert_close(normalised_abs_map(attributions), torch.tensor([[[[0.5, 1.0]]]]))
    assert normalised_abs_map(torch.zeros(1, 1, 3, 3)).eq(0).all()


# ----------------------------------------------------------------------------
# GANSpace
# ----------------------------------------------------------------------------


class LinearGenerator(nn.Module):
    """``y = A z``: PCA of y is the SVD of A, so the directions are known exactly."""

    def __init__(self, matrix: torch.Tensor):
        super().__init__()
        self.latent_dim = matrix.shape[1]
        self.net = nn.Linear(matrix.shape[1], matrix.shape[0], bias=False)
        with torch.no_grad():
            self.net.weight.copy_(matrix)

    def forward(self, z):
        return self.net(z)


def test_ganspace_on_a_linear_generator_finds_the_right_singular_vectors():
    torch.manual_seed(0)
    left, _ = torch.linalg.qr(torch.randn(12, 4))
    right, _ = torch.linalg.qr(torch.randn(4, 4))
    matrix = left @ torch.diag(torch.tensor([4.0, 2.0, 1.0, 0.5])) @ right.T  # (12, 4), singular values 4, 2, 1, 0.5
    result = ganspace_directions(LinearGenerator(matrix), "net", n_samples=4000, n_components=3)
    for k in range(3):  # u_k is ± the k-th right singular vector of A
        assert abs(float(result.directions[k] @ right[:, k])) > 0.99
    # with z ~ N(0, I) the variance along each component is σ_k²: 16, 4, 1 out of 21.25
    torch.testing.assert_close(result.explained_variance_ratio, torch.tensor([16, 4, 1]) / 21.25, rtol=0.08, atol=0)


def test_ganspace_directions_of_dcgan_mnist():
    generator = pretrained.load("dcgan-mnist")
    result = ganspace_directions(generator, "net.2", n_samples=400, n_components=5, seed=0)
    assert result.directions.shape == (5, 64) and result.components.shape == (5, 64 * 7 * 7)
    torch.testing.assert_close(result.directions.norm(dim=1), torch.ones(5))
    ratios = result.explained_variance_ratio
    assert (ratios[:-1] >= ratios[1:]).all() and 0 < ratios.sum() < 1
    # the randomised SVD agrees with the full one
    z = torch.randn(400, 64, generator=torch.Generator().manual_seed(0))
    activations = get_activations(generator, z, "net.2")["net.2"].flatten(1).double()
    singular = torch.linalg.svdvals(activations - activations.mean(0))
    torch.testing.assert_close(ratios.double(), singular[:5] ** 2 / (singular**2).sum(), rtol=1e-4, atol=1e-6)
    # moving z along u_1 moves the layer along v_1 more than along any other component
    fresh = torch.randn(200, 64, generator=torch.Generator().manual_seed(5))
    start = get_activations(generator, fresh, "net.2")["net.2"].flatten(1)
    moved = get_activations(generator, fresh + 1.0 * result.directions[0], "net.2")["net.2"].flatten(1)
    shift = ((moved - start) @ result.components.T).abs().mean(0)  # (5,)
    assert shift.argmax() == 0
    with pytest.raises(ValueError, match="available layer names"):
        ganspace_directions(generator, "net.99", n_samples=10, n_components=2)
    with pytest.raises(ValueError, match="n_components must be at most"):
        ganspace_directions(generator, "net.2", n_samples=10, n_components=20)


def test_walking_a_direction_renders_rows_with_the_sample_in_the_middle():
    generator = pretrained.load("dcgan-mnist")
    direction = torch.zeros(64)
    direction[3] = 2.0
    latents = torch.randn(2, 64, generator=torch.Generator().manual_seed(0))
    images = walk_latent_direction(generator, direction, latents=latents, steps=5, extent=2.0)
    assert images.shape == (10, 1, 28, 28) and images.min() >= 0 and images.max() <= 1
    torch.testing.assert_close(images[[2, 7]], generator.decode(latents), rtol=1e-4, atol=1e-5)  # t = 0: the sample
    shifted = latents.clone()
    shifted[:, 3] += 2.0  # t = +2 along the unit direction
    torch.testing.assert_close(images[[4, 9]], generator.decode(shifted), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"direction must be a tensor of shape \(64,\)"):
        walk_latent_direction(generator, torch.ones(10))
    with pytest.raises(ValueError, match="non-zero"):
        walk_latent_direction(generator, torch.zeros(64))


# ----------------------------------------------------------------------------
# Receptive fields
# ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layers, expected",
    [
        ([nn.Conv2d(1, 1, 3, padding=1) for _ in range(3)], 7),  # 1 + 2 + 2 + 2
        ([nn.Conv2d(1, 1, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(1, 1, 3, padding=1)], 7),  # 1 + 2 + 2·2
        ([nn.Conv2d(1, 1, 3, dilation=2, padding=2)], 5),  # 1 + 2·(3 - 1)
        ([nn.MaxPool2d(2), nn.Conv2d(1, 1, 3, padding=1)], 6),  # 1 + 1 + 2·2
        ([nn.Conv2d(1, 1, 5, padding="same")], 5),
        ([nn.Conv2d(1, 4, 3, padding=1), nn.PixelShuffle(2), nn.Conv2d(1, 1, 3, padding=1)], 4),  # 1 + 2 + 2·½
        ([nn.Upsample(scale_factor=2), nn.Conv2d(1, 1, 3, padding=1)], 2),  # 1 + 2·½
        ([nn.ConvTranspose2d(1, 1, 4, 2, 1)], 2),  # each output reads 2 of the 4 taps' inputs
        ([nn.Conv2d(1, 1, 3, padding=1), nn.Flatten(), nn.Linear(64, 2)], 8),  # fully connected: everything
    ],
)
def test_receptive_field_of_hand_computable_nets(layers, expected):
    field = receptive_field(nn.Sequential(*layers), (1, 8, 8))
    assert field.size == (expected, expected)
    assert field.covers_whole_input == isinstance(layers[-1], nn.Linear)


def support_width(model: nn.Module, rows: range, size: int = 24) -> int:
    """Widest set of input rows with a non-zero gradient, over the output rows given."""
    widest = 0
    for row in rows:
        images = torch.rand(1, 1, size, size, generator=torch.Generator().manual_seed(row))
        gradient = saliency(model, images, (0, row, model_centre(model, size)))
        nonzero = gradient.sum((0, 1, 3)).nonzero()[:, 0]
        widest = max(widest, int(nonzero.max() - nonzero.min() + 1))
    return widest


def model_centre(model, size):
    with torch.no_grad():
        return model(torch.zeros(1, 1, size, size)).shape[-1] // 2


def test_theoretical_field_equals_the_gradient_support_of_a_random_upsampling_net():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.Tanh(), nn.PixelShuffle(2),  # (N, 1, 2H, 2W)
        nn.Conv2d(1, 4, 5, padding=2), nn.Tanh(), nn.PixelShuffle(2),  # (N, 1, 4H, 4W)
        nn.Conv2d(1, 1, 3, padding=1),
    ).eval()
    field = receptive_field(net, (1, 24, 24))
    # 1 + 2 (3×3) + 4·½ (5×5 at ×2) + 2·¼ (3×3 at ×4) = 5.5: the exact count depends on the phase
    assert field.size == (6, 6)
    assert support_width(net, range(40, 48)) == 6  # one period of output rows (×4)
    assert [row.kind for row in field.layers][-3:] == ["convolution", "pixel shuffle", "convolution"]
    assert field.layers[-1].jump == (0.25, 0.25)


def test_receptive_field_refuses_what_it_cannot_see():
    with pytest.raises(ValueError, match="F.max_pool2d"):
        receptive_field(pretrained.load("digit-classifier"), (1, 28, 28))  # pools with a function
    with pytest.raises(ValueError, match="does not know how it moves positions"):
        receptive_field(nn.Sequential(nn.Conv2d(1, 2, 3), nn.GroupNorm(1, 2)), (1, 8, 8))
    with pytest.raises(ValueError, match=r"input_shape must be \(C, H, W\)"):
        receptive_field(nn.Conv2d(1, 1, 3), (8, 8))


def test_srresnet_x4_effective_field_lies_inside_its_theoretical_field():
    model = pretrained.load("srresnet-x4")
    field = receptive_field(model, (3, 16, 16))
    assert field.size == (48, 48)  # 1 + 8 + 34 + 2 + 1 + 2 low-resolution pixels, see the docstring
    kinds = [row.kind for row in field.layers]
    assert kinds.count("pixel shuffle") == 2 and field.layers[-1].jump == (0.25, 0.25)
    images = torch.rand(2, 3, 56, 56, generator=torch.Generator().manual_seed(0))
    erf = effective_receptive_field(model, images, mass=0.95)
    assert erf.output_pixel == (112, 112)
    support = erf.gradient_map.nonzero()  # exactly the theoretical square: the bound is tight
    assert int(support[:, 0].max() - support[:, 0].min() + 1) == field.size[0]
    assert int(support[:, 1].max() - support[:, 1].min() + 1) == field.size[1]
    assert erf.side < field.size[0]  # 95 % of the influence is concentrated well inside
    assert erf.side <= effective_receptive_field(model, images, mass=0.99).side
    with pytest.raises(ValueError, match="mass must be a fraction"):
        effective_receptive_field(model, images, mass=1.5)
    with pytest.raises(ValueError, match="outside the 224×224 output"):
        effective_receptive_field(model, images, output_pixel=(300, 0))
