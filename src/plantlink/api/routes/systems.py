"""``GET /v1/systems``: what can be connected, and the credential fields each needs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from plantlink.connectors.registry import CONNECTORS
from plantlink.model.registry import MODELS

router = APIRouter(prefix="/v1", tags=["systems"])


@router.get("/systems")
def list_systems() -> dict[str, Any]:
    data = []
    for connector in CONNECTORS.values():
        info = connector.describe()
        info["models"] = [MODELS[m].path for m in info["models"]]
        data.append(info)
    return {"data": data}
