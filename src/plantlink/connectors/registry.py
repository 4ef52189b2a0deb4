"""System id → connector. Each connector package adds itself to ``_CONNECTORS``."""

from __future__ import annotations

from typing import Any

from plantlink.connectors.base import Connector
from plantlink.connectors.maintainx import CONNECTOR as MAINTAINX
from plantlink.connectors.sap_s4hana import CONNECTOR as SAP_S4HANA

CONNECTORS: dict[str, Connector[Any]] = {c.system: c for c in (MAINTAINX, SAP_S4HANA)}


def get_connector(system: str) -> Connector[Any] | None:
    return CONNECTORS.get(system)
