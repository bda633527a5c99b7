"""Models: ``gan`` (MLP, DCGAN), ``cgan`` (conditional, pix2pix), ``srresnet`` (SRResNet, SRGAN D),
``burst`` (multi-frame restorer), ``classifier`` (the digit classifier used as a feature net),
``diffusion`` (DDPM/DDIM: schedules, MLP and U-Net denoisers, samplers, guidance, the bound)."""
