"""Build time: the bundle's compressible files get ``.zst`` and ``.gz`` siblings, once.

Run by ``scripts/build_ohif_dist.sh`` as ``python -m ohif_plugin.build.precompress FOLDER``;
:class:`ohif_plugin.web.assets.AssetFolder` sends a sibling as it is.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from ohif_plugin.codings import CODINGS, GZIP, WORTH_IT, ZSTD, compress, is_compressible, is_variant_file, sibling

BUILD_LEVELS: dict[str, int] = {ZSTD: 19, GZIP: 9}
"""Made once, at build time: as small as it gets."""


def precompress_folder(root: Path, report: Callable[[str], None] = lambda line: None) -> tuple[int, int]:
    """Write ``.zst`` and ``.gz`` siblings of the compressible files that lack an up-to-date one.

    Returns (files compressed, bytes saved by zstd). Idempotent: a second run
    compresses nothing.
    """
    compressed = saved = 0
    for path in sorted(_bundle_files(root)):
        size = path.stat().st_size
        if not is_compressible(path.name, size):
            continue
        missing = [
            coding for coding in CODINGS
            if not sibling(path, coding).exists() or sibling(path, coding).stat().st_mtime < path.stat().st_mtime
        ]
        if not missing:
            continue
        data = path.read_bytes()
        for coding in missing:
            variant = compress(data, coding, BUILD_LEVELS[coding])
            target = sibling(path, coding)
            if len(variant) <= WORTH_IT * size:
                target.write_bytes(variant)
                if coding == ZSTD:
                    saved += size - len(variant)
            else:
                target.unlink(missing_ok=True)
        compressed += 1
        report(f"compressed {path.relative_to(root)} ({size:,} bytes)")
    return compressed, saved


def _bundle_files(root: Path) -> Iterable[Path]:
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and not is_variant_file(path):
            yield path


def main(arguments: list[str]) -> int:
    if len(arguments) != 1 or not Path(arguments[0]).is_dir():
        print("usage: python -m ohif_plugin.build.precompress OHIF_DIST_FOLDER", file=sys.stderr)
        return 2
    count, saved = precompress_folder(Path(arguments[0]))
    print(f"compression: {count} file(s) compressed, zstd saves {saved / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
