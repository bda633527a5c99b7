"""What networks see: activations, attributions and their sanity checks, latent directions, receptive fields.

One idea per module, in the order the lesson uses them:

* ``activations``     forward hooks: ``{layer_name: activations}`` of any ``nn.Module``;
* ``attribution``     which input pixels one output number depends on: gradient
                      saliency, gradient × input, integrated gradients (with the
                      completeness check), occlusion, and an edge detector as the control;
* ``shap``            KernelSHAP on superpixels (grid or SLIC): Shapley values by regression;
* ``sanity``          the cascading model-parameter randomisation test, scored by SSIM
                      and Spearman rank correlation, and which methods pass it;
* ``latent``          GANSpace: principal directions of a generator's early
                      activations, carried back to latent space, and walks along them;
* ``receptive_field`` the theoretical field from the layers (pixel shuffle included)
                      and the effective one measured with gradients.

Every attribution method has the signature ``method(model, inputs, target) ->
(N, C, H, W)`` for images ``inputs`` in ``[0, 1]``; ``target`` picks the
number to explain (a class, a pixel, or ``None`` for a discriminator's logit).
The reference implementations these agree with are Captum's (tests/test_interpret.py).

Lesson: ``08_what_networks_see.ipynb``.
"""

from .activations import get_activations, layer_names, record_activations
from .attribution import (
    IG_METHODS,
    Completeness,
    completeness,
    edge_detector,
    gradient_x_input,
    integrated_gradients,
    normalised_abs_map,
    occlusion,
    saliency,
)
from .latent import LatentDirections, ganspace_directions, walk_latent_direction
from .receptive_field import (
    EffectiveReceptiveField,
    LayerReceptiveField,
    ReceptiveField,
    effective_receptive_field,
    receptive_field,
)
from .sanity import (
    PASS_THRESHOLDS,
    RandomisationResult,
    cascading_randomisation,
    passes_randomisation_test,
    randomisable_layers,
    spearman_rank_correlation,
)
from .shap import (
    grid_superpixels,
    kernel_shap,
    paint_superpixels,
    shapley_kernel,
    shapley_values,
    slic_superpixels,
)

__all__ = [
    "IG_METHODS",
    "PASS_THRESHOLDS",
    "Completeness",
    "EffectiveReceptiveField",
    "LatentDirections",
    "LayerReceptiveField",
    "RandomisationResult",
    "ReceptiveField",
    "cascading_randomisation",
    "completeness",
    "edge_detector",
    "effective_receptive_field",
    "ganspace_directions",
    "get_activations",
    "gradient_x_input",
    "grid_superpixels",
    "integrated_gradients",
    "kernel_shap",
    "layer_names",
    "normalised_abs_map",
    "occlusion",
    "paint_superpixels",
    "passes_randomisation_test",
    "randomisable_layers",
    "receptive_field",
    "record_activations",
    "saliency",
    "shapley_kernel",
    "shapley_values",
    "slic_superpixels",
    "spearman_rank_correlation",
    "walk_latent_direction",
]
