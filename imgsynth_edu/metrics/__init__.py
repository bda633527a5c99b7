"""Metrics: PSNR, SSIM, MS-SSIM, FID, KID, precision/recall, feature extractors."""
