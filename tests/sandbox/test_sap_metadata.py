"""`$metadata` of every service, fetched over HTTP, against the inventory (and pyodata)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from pyodata.v2.model import MetadataBuilder

from tests.sandbox.sap_inventory import INVENTORY, Sap, start

EDM = "{http://schemas.microsoft.com/ado/2008/09/edm}"
SAP = "{http://www.sap.com/Protocols/SAPData}"
EDMX = "{http://schemas.microsoft.com/ado/2007/06/edmx}"
M = "{http://schemas.microsoft.com/ado/2007/08/dataservices/metadata}"


@pytest.fixture(scope="module")
def sap() -> Iterator[Sap]:
    sandbox = start(scale=50)
    yield sandbox
    sandbox.close()


def fetch(sap: Sap, service: str) -> bytes:
    response = sap.api.get(f"/{service}/$metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["dataserviceversion"] == "2.0"
    return response.content


def false_flags(element: ET.Element, names: tuple[str, ...]) -> set[str]:
    return {f"no{name}" for name in names if element.get(SAP + name) == "false"}


@pytest.mark.parametrize("service", sorted(INVENTORY))
def test_metadata_matches_the_inventory(sap: Sap, service: str) -> None:
    root = ET.fromstring(fetch(sap, service))
    assert root.tag == EDMX + "Edmx" and root.get("Version") == "1.0"
    services = root.find(EDMX + "DataServices")
    assert services is not None and services.get(M + "DataServiceVersion") == "2.0"
    schema = services.find(EDM + "Schema")
    assert schema is not None
    container = schema.find(EDM + "EntityContainer")
    assert container is not None
    sets = {e.get("Name"): e for e in container.findall(EDM + "EntitySet")}
    types = {e.get("Name"): e for e in schema.findall(EDM + "EntityType")}
    expected = INVENTORY[service]
    assert set(sets) == set(expected)
    for name, spec in expected.items():
        entity_set = sets[name]
        assert entity_set.get("EntityType") == f"{schema.get('Namespace')}.{spec.entity_type}"
        assert false_flags(entity_set, ("creatable", "updatable", "deletable")) == set(
            spec.set_flags.split()
        ), name
        entity_type = types[spec.entity_type]
        key = entity_type.find(EDM + "Key")
        assert key is not None
        assert [k.get("Name") for k in key] == [p.name for p in spec.parsed if p.key], name
        props = {p.get("Name"): p for p in entity_type.findall(EDM + "Property")}
        assert list(props) == [p.name for p in spec.parsed], name
        for prop in spec.parsed:
            element = props[prop.name]
            flags = false_flags(element, ("creatable", "updatable", "filterable", "sortable"))
            if element.get("Nullable") == "false":
                flags.add("notnull")
            assert (element.get("Type"), flags) == (prop.type, set(prop.flags)), prop.name
        navs = {n.get("Name") for n in entity_type.findall(EDM + "NavigationProperty")}
        assert navs == {nav.split(">")[0] for nav in spec.navigations}, name


@pytest.mark.parametrize("service", sorted(INVENTORY))
def test_pyodata_builds_a_model_from_the_metadata(sap: Sap, service: str) -> None:
    model = MetadataBuilder(fetch(sap, service)).build()
    names = {entity_set.name for entity_set in model.entity_sets}
    assert names == set(INVENTORY[service])
    for spec in INVENTORY[service].values():
        navs = {nav.name: nav for nav in model.entity_type(spec.entity_type).nav_proprties}
        for nav in spec.navigations:
            prop, target = nav.split(">")
            assert navs[prop].to_role.entity_type.name == INVENTORY[service][target].entity_type


def test_status_functions_are_published_with_their_parameters(sap: Sap) -> None:
    root = ET.fromstring(fetch(sap, "API_MAINTENANCEORDER"))
    functions = {f.get("Name"): f for f in root.iter(EDM + "FunctionImport")}
    assert {
        "ReleaseMaintenanceOrder",
        "SetMaintOrdToTechCompleted",
        "ResetMaintOrdStsTechCompleted",
        "SetMaintOrderStatusToClosed",
        "ResetMaintOrderStatusClosed",
        "SetMaintOrdStsToMrkdForDeltn",
        "ResetMaintOrdStsMrkdForDeltn",
    } == set(functions)
    release = functions["ReleaseMaintenanceOrder"]
    assert release.get(M + "HttpMethod") == "POST"
    assert [(p.get("Name"), p.get("Type")) for p in release] == [("MaintenanceOrder", "Edm.String")]
    teco = [p.get("Name") for p in functions["SetMaintOrdToTechCompleted"]]
    assert teco[0] == "MaintenanceOrder" and "MaintOrderReferenceDateTime" in teco


def test_service_document_lists_the_entity_sets(sap: Sap) -> None:
    for service, sets in INVENTORY.items():
        assert set(sap.get(f"/{service}/")["EntitySets"]) == set(sets)


def test_unknown_service_and_set_are_sap_404s(sap: Sap) -> None:
    response = sap.api.get("/API_NOPE/Things")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "/IWFND/MED/170"
    response = sap.api.get("/API_MAINTENANCEORDER/NoSuchSet")
    assert response.status_code == 404
    assert response.json()["error"]["message"]["value"] == (
        "Resource not found for segment 'NoSuchSet'"
    )
