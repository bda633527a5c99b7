"""Solutions of lesson 07 (diffusion): q(x_t | x_0) in closed form, the simple loss, one DDIM step."""


def noisy_sample(x0, t, noise, alpha_bars):
    alpha_bar = alpha_bars[t].to(x0.dtype).view(-1, *([1] * (x0.ndim - 1)))  # ᾱ_t per sample, (N, 1, ...)
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise  # Ho eq. 4: mean √ᾱ_t x_0, variance 1 - ᾱ_t


def simple_loss(denoiser, x0, t, noise, alpha_bars):
    alpha_bar = alpha_bars[t].to(x0.dtype).view(-1, *([1] * (x0.ndim - 1)))  # ᾱ_t per sample, (N, 1, ...)
    xt = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise  # the noisy input the network sees (eq. 4)
    return ((noise - denoiser(xt, t)) ** 2).mean()  # Ho eq. 14: the network predicts the noise ε


def ddim_step(xt, eps, t, t_previous, alpha_bars):
    alpha_bar, alpha_bar_previous = alpha_bars[t], alpha_bars[t_previous]
    x0 = (xt - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()  # eq. 4 solved for x_0: "predicted x_0"
    return alpha_bar_previous.sqrt() * x0 + (1 - alpha_bar_previous).sqrt() * eps  # Song eq. 12 with σ = 0


guided_evaluations = 100  # 50 steps × 2: ε(x, y) and ε(x, ∅) at every step
