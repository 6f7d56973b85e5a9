"""GET /healthz: the app is up. Load balancers poll it; benchmarks use it as the floor of the stack."""
from __future__ import annotations

from flask import Blueprint, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})
