"""Solutions of lesson 09 (scaling up and down): DDP's gradient by hand, int8 fake quantisation, the global batch."""

import torch


def data_parallel_gradient(model, loss_function, inputs, targets, world_size):
    rank_gradients = []
    for rank in range(world_size):  # what each of the N processes computes on its own share
        share_inputs, share_targets = inputs[rank::world_size], targets[rank::world_size]  # (B/N, ...) each
        loss = loss_function(model(share_inputs), share_targets)  # the mean over this rank's B/N items
        rank_gradients.append(torch.autograd.grad(loss, list(model.parameters())))
    # the all-reduce: sum over ranks, then divide by the number of ranks, parameter by parameter
    return [sum(same_parameter) / world_size for same_parameter in zip(*rank_gradients)]


def fake_quantize_int8(values, calibration):
    scale = calibration.abs().max() / 127  # symmetric: the largest |value| seen in calibration maps to ±127
    codes = torch.clamp(torch.round(values / scale), -127, 127)  # the int8 grid (values beyond calibration saturate)
    return codes * scale  # back to real numbers: what the next layer receives


global_batch_and_lr = (64, 4e-4)  # --batch-size is the global batch: 4 GPUs × 16; batch ×4, so lr ×4 (linear rule)
