"""Solutions of lesson 03 (conditional GAN): the generator's input, the projection logit, the masked L1."""

import torch


def conditional_input(z, labels, embedding):
    return torch.cat([z, embedding(labels)], dim=1)  # (N, Z + E): [z ; e_c], features side by side


def projection_logit(phi, labels, psi, class_embedding):
    unconditional = psi(phi).squeeze(1)  # (N, 1) -> (N,): ψ(φ(x)), "is it real?"
    projection = (class_embedding(labels) * phi).sum(dim=1)  # (N,): e_cᵀ φ(x), "is it a c?"
    return unconditional + projection  # (N,)


def masked_l1(fill, target, mask):
    hole = mask.expand_as(fill)  # (N, C, H, W): the hole, in every channel
    return (hole * (fill - target).abs()).sum() / hole.sum()  # mean |error| over the hole's values only


l1_l2_minimisers = (1.0, 0.7)  # the median and the mean of 70 % ones and 30 % zeros
