"""PATCH /purchaseorders/{id}/status: the transition table of PROTOCOLS.md §2, exhaustively."""

from __future__ import annotations

import itertools

import pytest

STATUSES = [
    "REQUESTED",
    "PENDING",
    "DECLINED",
    "APPROVED",
    "PARTIALLY_FULFILLED",
    "COMPLETED",
    "CANCELED",
]
ALLOWED = {
    "REQUESTED": {"PENDING", "DECLINED", "CANCELED"},
    "PENDING": {"APPROVED", "DECLINED", "CANCELED"},
    "DECLINED": {"PENDING", "CANCELED"},
    "APPROVED": {"CANCELED", "PARTIALLY_FULFILLED", "COMPLETED"},
    "PARTIALLY_FULFILLED": {"COMPLETED"},
    "COMPLETED": {"PARTIALLY_FULFILLED"},
    "CANCELED": set(),
}
PATH_TO = {
    "REQUESTED": [],
    "PENDING": ["PENDING"],
    "DECLINED": ["DECLINED"],
    "APPROVED": ["PENDING", "APPROVED"],
    "PARTIALLY_FULFILLED": ["PENDING", "APPROVED", "PARTIALLY_FULFILLED"],
    "COMPLETED": ["PENDING", "APPROVED", "COMPLETED"],
    "CANCELED": ["CANCELED"],
}


def new_po(mx, status):
    vendor = mx.api.get("/vendors", params={"limit": 1}).json()["vendors"][0]["id"]
    part = mx.api.get("/parts", params={"limit": 1}).json()["parts"][0]["id"]
    body = {"vendorId": vendor, "items": [{"partId": part, "quantityOrdered": 6}]}
    po = mx.api.post("/purchaseorders", json=body).json()
    for step in PATH_TO[status]:
        response = mx.api.patch(f"/purchaseorders/{po['id']}/status", json={"status": step})
        assert response.status_code == 200, response.text
    return mx.api.get(f"/purchaseorders/{po['id']}").json()["purchaseOrder"]


@pytest.mark.parametrize(("old", "new"), list(itertools.product(STATUSES, STATUSES)))
def test_transition(mx, old, new):
    po = new_po(mx, old)
    assert po["status"] == old
    response = mx.api.patch(f"/purchaseorders/{po['id']}/status", json={"status": new})
    after = mx.api.get(f"/purchaseorders/{po['id']}").json()["purchaseOrder"]
    if new in ALLOWED[old]:
        assert response.status_code == 200, response.text
        assert response.json()["purchaseOrder"]["status"] == new == after["status"]
        assert after["updatedAt"] > po["updatedAt"]
        return
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["fieldPath"] == "status" and error["fieldValue"] == new
    if new == "REQUESTED":  # not a value of the endpoint's status enum at all
        assert error["error"] == "Invalid status"
    else:
        assert old in error["error"] and new in error["error"]
    assert after == po  # nothing changed


def test_transition_side_effects(mx):
    approved = new_po(mx, "APPROVED")
    assert approved["approverId"] is not None and approved["approvalDate"] == approved["updatedAt"]
    partial = new_po(mx, "PARTIALLY_FULFILLED")
    received = [i["quantityReceived"] for i in partial["items"]]
    assert 0 < sum(received) < sum(i["quantityOrdered"] for i in partial["items"])
    completed = new_po(mx, "COMPLETED")
    assert all(i["quantityReceived"] == i["quantityOrdered"] for i in completed["items"])
    declined = new_po(mx, "PENDING")
    response = mx.api.patch(
        f"/purchaseorders/{declined['id']}/status",
        json={"status": "DECLINED", "reviewNote": "Split by cost center"},
    )
    assert response.json()["purchaseOrder"]["reviewNote"] == "Split by cost center"


@pytest.mark.parametrize("status", ["APPROVED", "PARTIALLY_FULFILLED", "COMPLETED", "CANCELED"])
def test_content_edits_are_refused_from_approval_on(mx, status):
    po = new_po(mx, status)
    response = mx.api.patch(f"/purchaseorders/{po['id']}", json={"note": "change"})
    assert response.status_code == 400
    assert status in response.json()["errors"][0]["error"]


@pytest.mark.parametrize("status", ["REQUESTED", "PENDING", "DECLINED"])
def test_content_edits_are_accepted_before_approval(mx, status):
    po = new_po(mx, status)
    response = mx.api.patch(f"/purchaseorders/{po['id']}", json={"note": "change"})
    assert response.status_code == 200
    assert response.json()["purchaseOrder"]["note"] == "change"
