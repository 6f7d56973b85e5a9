"""The official HSDS 3.0 files in ../shared/hsds: where they are, and checking data against their schemas.

CI has them; a user's fresh clone does not, so tests that need them skip with NO_HSDS.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

HSDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "hsds"
NO_HSDS = f"the official HSDS schemas are not at {HSDS_DIR} (CI has them; a fresh clone does not)"
HAVE_HSDS = (HSDS_DIR / "schema").is_dir()


@cache
def _registry():
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    return Registry().with_resources(
        [(path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT202012))
         for path in (HSDS_DIR / "schema").glob("*.json")])


def schema_errors(instance, schema_name: str) -> list[str]:
    """What breaks the official schema (e.g. "compiled/service.json"), at most ten, each with its path."""
    from jsonschema import Draft202012Validator

    schema = json.loads((HSDS_DIR / "schema" / schema_name).read_text())
    errors = sorted(Draft202012Validator(schema, registry=_registry()).iter_errors(instance), key=str)
    return [f"{list(e.absolute_path)}: {e.message}" for e in errors[:10]]
