"""Texts kept as data in seeds/ (guidance, counselor types), read once per process.

Each text is a mapping of language code to words ({"en": ..., "es": ...});
`localized` picks the reader's language, falling back to English.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import has_request_context
from flask_babel import get_locale

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"


@cache
def load_seed_json(name: str):
    with open(SEEDS_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)


def current_language() -> str:
    return str(get_locale() or "en") if has_request_context() else "en"


def localized(texts: dict[str, str] | None, language: str | None = None) -> str:
    if not texts:
        return ""
    language = language or current_language()
    return texts.get(language) or texts.get("en") or next(iter(texts.values()))


def counselor_types() -> list[dict]:
    """The five licensed counselor types, in the order DESIGN.md gives."""
    return load_seed_json("counselor_types.json")
