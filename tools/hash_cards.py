"""Record (or check) the SHA-256 of model files in their cards.

    python tools/hash_cards.py            # every bundled card in imgsynth_edu/pretrained/weights/
    python tools/hash_cards.py runs/m.pt  # the card beside these model files
    python tools/hash_cards.py --check    # exit 1 if a card's sha256 is missing or wrong; change nothing

A card ``NAME.json`` records ``"sha256"``, the SHA-256 of ``NAME.pt``;
``imgsynth_edu.pretrained.load_file`` checks it on every load (see the book's
Reliability page). Run this after replacing a bundled model file by hand; the
``train`` commands record the hash themselves. Cards are rewritten atomically,
keeping their other fields and their order.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from imgsynth_edu import pretrained
from imgsynth_edu.utils import atomic_write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", help="model files NAME.pt (default: every bundled one)")
    parser.add_argument("--check", action="store_true", help="only check; exit 1 on a missing or wrong hash")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.models] or [pretrained.WEIGHTS_DIR / f"{name}.pt" for name in pretrained.available()]
    wrong = 0
    for path in paths:
        card = pretrained.read_card(path)
        actual = pretrained.weights_sha256(path)
        if card.get("sha256") == actual:
            print(f"ok       {path.name} {actual[:12]}…")
            continue
        if args.check:
            wrong += 1
            print(f"MISMATCH {path.name}: card records {card.get('sha256')!r}, file is {actual}")
            continue
        card["sha256"] = actual
        with atomic_write(path.with_suffix(".json"), "w") as handle:
            json.dump(card, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        print(f"recorded {path.name} {actual[:12]}…")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
