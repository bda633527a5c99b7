"""Solutions of lesson 01 (GAN from scratch): the generator's loss, one training step, the optimal D."""

import torch
import torch.nn.functional as F

from imgsynth_edu import losses


def generator_loss(fake_logits):
    # -log D(G(z)) with D = sigmoid(logit): -log sigmoid(d) = softplus(-d), exact for any logit
    return F.softplus(-fake_logits).mean()


def training_step(generator, discriminator, opt_g, opt_d, real, latent_dim):
    # 1. the discriminator: a real batch and a DETACHED fake batch; only opt_d steps
    z = torch.randn(len(real), latent_dim)
    fake = generator(z).detach()  # D's loss must not reach G
    d_loss = losses.d_loss_minimax(discriminator(real), discriminator(fake))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    # 2. the generator: a fresh fake batch, NOT detached, scored by the updated D; only opt_g steps
    z = torch.randn(len(real), latent_dim)
    g_loss = losses.g_loss_non_saturating(discriminator(generator(z)))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}


def optimal_discriminator(p_data, p_g):
    return p_data / (p_data + p_g)  # the probability that x came from the data (Goodfellow et al. 2014, Prop. 1)


larger_gradient = "saturating"  # |∂/∂d log(1 - σ(d))| = σ(d) = 0.9 > 1 - σ(d) = 0.1
