"""SAP Gateway's error body, raised as an exception anywhere in the sandbox."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from plantlink.sandbox.core.clock import iso_ms


@dataclass
class ODataError(Exception):
    """An error SAP would answer with `{"error": {...}}`; `code` is SAP's message class/number."""

    status: int
    code: str
    message: str
    propertyref: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, service: str, now_ms: int) -> dict[str, Any]:
        """The JSON body; `now_ms` is the backend's (sandbox clock's) time of the error."""
        stamp = iso_ms(now_ms)  # 2024-01-31T10:00:00.123Z → SAP's 20240131100000.1230000
        return {
            "error": {
                "code": self.code,
                "message": {"lang": "en", "value": self.message},
                "innererror": {
                    "application": {
                        "component_id": "",
                        "service_namespace": "/SAP/",
                        "service_id": service,
                        "service_version": "0001",
                    },
                    "transactionid": uuid.uuid4().hex.upper(),
                    "timestamp": re.sub(r"[-T:Z]", "", stamp) + "0000",
                    "Error_Resolution": {
                        "SAP_Transaction": "For backend administrators: use ADT feed reader "
                        '"SAP Gateway Error Log" or run transaction /IWFND/ERROR_LOG on SAP '
                        "Gateway hub system and search for entries with the timestamp above "
                        "for more details",
                        "SAP_Note": "See SAP Note 1797736 for error analysis "
                        "(https://service.sap.com/sap/support/notes/1797736)",
                    },
                    "errordetails": [
                        {
                            "code": self.code,
                            "message": self.message,
                            "propertyref": self.propertyref,
                            "severity": "error",
                            "target": "",
                            "transition": False,
                        }
                    ],
                },
            }
        }


def bad_request(message: str, code: str = "/IWBEP/CM_MGW_RT/022", prop: str = "") -> ODataError:
    return ODataError(400, code, message, prop)


def not_found(segment: str) -> ODataError:
    return ODataError(404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{segment}'")
