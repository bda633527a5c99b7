"""Draw ``book/images/degradations.png``, the picture at the top of the README and the intro.

    python book/images/make_readme_figure.py

A held-out photograph and four degradations from the library, with the PSNR of
each, drawn by ``imgsynth_edu.viz.compare`` with a zoom inset.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from imgsynth_edu import data, viz  # noqa: E402
from imgsynth_edu.utils import atomic_write  # noqa: E402
from imgsynth_edu.widgets import DegradationExplorer  # noqa: E402

explorer = DegradationExplorer(("chelsea",), size=192)
settings = [  # (degradation, strength, short title)
    ("bicubic down+up", 4, "bicubic ÷4 then ×4"),
    ("gaussian blur", 2.0, "blur σ = 2 px"),
    ("poisson noise", 100, "shot noise, 100 photons"),
    ("JPEG", 10, "JPEG quality 10"),
]
images = {"original (held out)": explorer.photo("chelsea")[0]}
captions = {}
for name, strength, title in settings:
    result = explorer.render("chelsea", name, strength, seed=0)
    images[title] = result["degraded"][0]
    captions[title] = f"PSNR {result['psnr']:.2f} dB"
figure = viz.compare(images, captions, zoom=(60, 70, 48, 48), size=2.5,
                     suptitle="imgsynth_edu.data degradations (what restoration must undo)")
target = Path(__file__).with_name("degradations.png")
with atomic_write(target) as handle:
    figure.savefig(handle, format="png", dpi=80)
print(f"wrote {target} ({target.stat().st_size // 1024} KB); data module: {data.__name__}")
