"""The translation catalogs, for tests: extract what the code says, read and compile what we ship.

Extraction follows babel.cfg and the `make messages` target: Python under
directory/ and templates, with lazy_gettext and _l as extra keywords.
"""
from __future__ import annotations

import os
from fnmatch import fnmatch
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

REPO_ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = REPO_ROOT / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
IGNORED_DIRS = (".*", "__pycache__")  # `--ignore-dirs` in the Makefile; templates/_macros must be read


def extract_messages() -> Catalog:
    """Every user-facing string in the code, as `pybabel extract` finds it."""
    with open(REPO_ROOT / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)

    def wanted(path: str) -> bool:
        return not any(fnmatch(os.path.basename(path), pattern) for pattern in IGNORED_DIRS)

    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
            str(REPO_ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=wanted):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalog(language: str) -> Catalog:
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def compile_catalogs() -> None:
    """Write each messages.mo from its messages.po when missing or older (what `make translations` does)."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with open(po_path, "rb") as handle:
            catalog = read_po(handle, locale=po_path.parts[-3])
        with open(mo_path, "wb") as handle:
            write_mo(handle, catalog)
