#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Rejects an #include that crosses lmx's layer rules (docs/architecture.md)."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# layer -> layers it may include (itself always allowed)
ALLOWED = {
    "tokenizer": set(),
    "io": set(),
    "core": set(),
    "backend": {"core"},
    "nn": {"core"},
    "quant": {"nn", "core"},
    "models": {"nn", "core", "io"},
    "generate": {"models", "nn", "core", "io", "tokenizer"},
    "train": {"models", "nn", "core", "io", "tokenizer", "quant"},
    "server": {"generate", "models", "nn", "core", "io", "tokenizer"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*"lmx/([a-z_]+)/')


def layer_of(path: pathlib.Path) -> str:
    return path.relative_to(ROOT / "lmx").parts[0]


def main() -> int:
    bad = []
    for path in sorted((ROOT / "lmx").rglob("*")):
        if path.suffix not in {".h", ".cpp", ".cu", ".cuh"}:
            continue
        layer = layer_of(path)
        allowed = ALLOWED.get(layer, set()) | {layer}
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if m and m.group(1) not in allowed:
                bad.append(f"{path.relative_to(ROOT)}:{n}: layer '{layer}' may not include "
                           f"lmx/{m.group(1)}/ (allowed: {', '.join(sorted(allowed))})")
    for b in bad:
        print(b, file=sys.stderr)
    if bad:
        return 1
    print("check_layers: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
