"""A small bundle folder, as OHIF's build holds: hashed and plain names, text and binary files."""

from __future__ import annotations

from pathlib import Path

APP_BUNDLE = "app.bundle.0123456789abcdef.js"


def make_bundle(root: Path) -> dict[str, bytes]:
    files = {
        APP_BUNDLE: b"function hello() { return 'world'; }\n" * 400,
        "style.css": b"body { margin: 0; }\n" * 200,
        "small.js": b"x=1",
        "logo.png": bytes(range(256)) * 20,
        "ort/model.wasm": b"\x00asm" + b"\x01\x02\x03\x04" * 2000,
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files
