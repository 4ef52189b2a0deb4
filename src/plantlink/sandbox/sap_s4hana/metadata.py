"""`$metadata` (EDMX 1.0, OData V2) generated from the sandbox's own `edm` definitions."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from plantlink.sandbox.sap_s4hana.edm import EntitySet, FunctionImport, Nav, Prop, Service

EDMX_NS = "http://schemas.microsoft.com/ado/2007/06/edmx"
EDM_NS = "http://schemas.microsoft.com/ado/2008/09/edm"
M_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
SAP_NS = "http://www.sap.com/Protocols/SAPData"
DUMMY_RESULT = "DummyFunctionImportResult"


def association_name(entity_set: EntitySet, nav: Nav) -> str:
    return f"assoc_{entity_set.name}_{nav.name}"


def _attrs(pairs: list[tuple[str, str | None]]) -> str:
    return "".join(f" {name}={quoteattr(value)}" for name, value in pairs if value is not None)


def _empty(tag: str, pairs: list[tuple[str, str | None]]) -> str:
    return f"<{tag}{_attrs(pairs)}/>"


def _false(flag: bool) -> str | None:
    """SAP only writes a capability flag when it deviates from the default `true`."""
    return None if flag else "false"


def _property(prop: Prop) -> str:
    return _empty(
        "Property",
        [
            ("Name", prop.name),
            ("Type", prop.type),
            ("Nullable", None if prop.nullable else "false"),
            ("MaxLength", None if prop.max_length is None else str(prop.max_length)),
            ("Precision", None if prop.precision is None else str(prop.precision)),
            ("Scale", None if prop.scale is None else str(prop.scale)),
            ("sap:display-format", prop.display_format),
            ("sap:label", prop.label or None),
            ("sap:creatable", _false(prop.creatable)),
            ("sap:updatable", _false(prop.updatable)),
            ("sap:sortable", _false(prop.sortable)),
            ("sap:filterable", _false(prop.filterable)),
        ],
    )


def _constraint(service: Service, entity_set: EntitySet, nav: Nav, name: str) -> str:
    """A referential constraint, when the join covers the full key of one end (as V2 requires)."""
    target = service.set_by_name[nav.target]
    source_props = [s for s, _ in nav.on]
    target_props = [t for _, t in nav.on]
    if sorted(target_props) == sorted(target.type.keys):
        principal, dependent = ("ToRole", target_props), ("FromRole", source_props)
    elif sorted(source_props) == sorted(entity_set.type.keys):
        principal, dependent = ("FromRole", source_props), ("ToRole", target_props)
    else:
        return ""

    def refs(props: list[str]) -> str:
        return "".join(f'<PropertyRef Name="{p}"/>' for p in props)

    return (
        f'<ReferentialConstraint><Principal Role="{principal[0]}_{name}">{refs(principal[1])}'
        f'</Principal><Dependent Role="{dependent[0]}_{name}">{refs(dependent[1])}'
        "</Dependent></ReferentialConstraint>"
    )


def _function(service: Service, function: FunctionImport) -> str:
    ns = service.namespace
    if function.entity_set:
        returns = f"{ns}.{service.set_by_name[function.entity_set].type.name}"
    else:
        returns = f"{ns}.{DUMMY_RESULT}"
    params = "".join(
        _empty(
            "Parameter",
            [
                ("Name", p.name),
                ("Type", p.type),
                ("Mode", "In"),
                ("MaxLength", None if p.max_length is None else str(p.max_length)),
                ("Precision", "0" if p.type == "Edm.DateTimeOffset" else None),
                ("Nullable", "true" if p.nullable else None),
                ("sap:label", p.label or None),
            ],
        )
        for p in function.params
    )
    head = _attrs(
        [
            ("Name", function.name),
            ("ReturnType", returns),
            ("EntitySet", function.entity_set),
            ("m:HttpMethod", function.http_method),
            ("sap:action-for", f"{ns}.{function.action_for}"),
        ]
    )
    return f"<FunctionImport{head}>{params}</FunctionImport>"


def render_metadata(service: Service) -> bytes:
    ns = service.namespace
    version = service.content_version
    types: list[str] = []
    associations: list[str] = []
    entity_sets: list[str] = []
    association_sets: list[str] = []
    for entity_set in service.sets:
        entity = entity_set.type
        keys = "".join(f'<PropertyRef Name="{k}"/>' for k in entity.keys)
        navs = []
        for nav in entity.navs:
            name = association_name(entity_set, nav)
            navs.append(
                f'<NavigationProperty Name="{nav.name}" Relationship="{ns}.{name}" '
                f'FromRole="FromRole_{name}" ToRole="ToRole_{name}"/>'
            )
            target = service.set_by_name[nav.target]
            multiplicity = "*" if nav.to_many else ("0..1" if nav.optional else "1")
            associations.append(
                f'<Association Name="{name}" sap:content-version="{version}">'
                f'<End Type="{ns}.{entity.name}" Multiplicity="1" Role="FromRole_{name}"/>'
                f'<End Type="{ns}.{target.type.name}" Multiplicity="{multiplicity}" '
                f'Role="ToRole_{name}"/>{_constraint(service, entity_set, nav, name)}'
                "</Association>"
            )
            association_sets.append(
                f'<AssociationSet Name="{name}" Association="{ns}.{name}" sap:creatable="false" '
                f'sap:updatable="false" sap:deletable="false" sap:content-version="{version}">'
                f'<End EntitySet="{entity_set.name}" Role="FromRole_{name}"/>'
                f'<End EntitySet="{target.name}" Role="ToRole_{name}"/></AssociationSet>'
            )
        types.append(
            f"<EntityType{_attrs([('Name', entity.name), ('sap:label', entity.label)])} "
            f'sap:content-version="{version}"><Key>{keys}</Key>'
            + "".join(_property(p) for p in entity.props)
            + "".join(navs)
            + "</EntityType>"
        )
        entity_sets.append(
            _empty(
                "EntitySet",
                [
                    ("Name", entity_set.name),
                    ("EntityType", f"{ns}.{entity.name}"),
                    ("sap:creatable", _false(entity_set.creatable)),
                    ("sap:updatable", _false(entity_set.updatable)),
                    ("sap:deletable", _false(entity_set.deletable)),
                    ("sap:content-version", version),
                ],
            )
        )
    if service.functions:
        types.append(
            f'<ComplexType Name="{DUMMY_RESULT}">'
            '<Property Name="IsInvalid" Type="Edm.Boolean" sap:label="TRUE"/></ComplexType>'
        )
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<edmx:Edmx Version="1.0" xmlns:edmx="{EDMX_NS}" xmlns:m="{M_NS}" xmlns:sap="{SAP_NS}">'
        '<edmx:DataServices m:DataServiceVersion="2.0">'
        f'<Schema Namespace="{ns}" xml:lang="en" sap:schema-version="1" xmlns="{EDM_NS}">'
        + "".join(types)
        + "".join(associations)
        + f'<EntityContainer Name="{ns}_Entities" m:IsDefaultEntityContainer="true" '
        'sap:supported-formats="atom json xlsx">'
        + "".join(entity_sets + association_sets)
        + "".join(_function(service, f) for f in service.functions)
        + "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
    )
    return xml.encode()
