"""The service's ``$metadata``: a CSDL (OData v4 XML) document written from the fake's own schema.

Nothing here is a copy of Business Central's document: every entity type, property, enum and navigation property is
read from :mod:`harness.businesscentral.schema`, the same objects the fake validates and renders with, so the
document cannot promise what the fake refuses. As the fake enforces them: ``MaxLength`` is the ``Text``/``Code``
length, every property is ``Nullable="false"`` (the fake takes ``null`` for no field and writes none), read-only
properties carry ``Core.Computed``, enums are ``Microsoft.NAV`` enum types whose member names are XML-encoded
(``" "`` is ``_x0020_``, as Business Central writes them), a page part is a contained navigation property and a
lookup (``currency`` through ``currencyId``) has a referential constraint.

The container declares an entity set for every entity type, as a recorded Business Central 26.0 document does for
every API page (tests/captures/rebelpl-bc-api2-client.json), each with the Capabilities restrictions the recording
shows (companies and page parts read-only, customers and contacts insertable, updatable and deletable). A client that
lists entity sets finds customers and contacts; the URLs stay company-scoped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from harness.businesscentral.schema import (
    ENTITIES,
    EntitySchema,
    Field,
    Navigation,
    entity_types,
    member_name,
)

__all__ = ["EDM", "EDMX", "NAMESPACE", "encode_name", "metadata_document"]

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"
NAMESPACE = "Microsoft.NAV"
CONTAINER = "NAV"
_COMPUTED = "Org.OData.Core.V1.Computed"
_CAPABILITIES = "Org.OData.Capabilities.V1"
_RESTRICTIONS = (("DeleteRestrictions", "Deletable"), ("InsertRestrictions", "Insertable"))


def metadata_document() -> bytes:
    """The whole ``$metadata`` document, UTF-8 XML with its declaration."""
    # The edmx prefix is the one every OData document uses; registering it maps only that namespace.
    ET.register_namespace("edmx", EDMX)
    root = ET.Element(f"{{{EDMX}}}Edmx", {"Version": "4.0"})
    services = ET.SubElement(root, f"{{{EDMX}}}DataServices")
    # The schema declares the EDM namespace as its default, as Business Central's document does; its elements are
    # written unprefixed inside it (ElementTree would otherwise invent a prefix for them).
    schema = ET.SubElement(services, _edm("Schema"), {"xmlns": EDM, "Namespace": NAMESPACE})
    types = entity_types()
    for name, options in _enum_types(types).items():
        enum = ET.SubElement(schema, _edm("EnumType"), {"Name": name})
        for value, option in enumerate(options):
            ET.SubElement(enum, _edm("Member"), {"Name": encode_name(option), "Value": str(value)})
    for entity in types:
        _entity_type(schema, entity)
    container = ET.SubElement(schema, _edm("EntityContainer"), {"Name": CONTAINER})
    for entity in types:
        _entity_set(container, entity)
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def encode_name(option: str) -> str:
    """An option as a CSDL identifier: each character an identifier cannot hold becomes ``_xHHHH_`` (XmlConvert)."""
    return member_name(option)


def _entity_set(container: ET.Element, entity: EntitySchema) -> None:
    element = ET.SubElement(container, _edm("EntitySet"), {"Name": entity.entity_set, "EntityType": entity.odata_type})
    writable = "true" if entity.entity_set in ENTITIES else "false"
    restrictions = (*_RESTRICTIONS, ("UpdateRestrictions", "Updatable"))
    for term, prop in restrictions:
        annotation = ET.SubElement(element, _edm("Annotation"), {"Term": f"{_CAPABILITIES}.{term}"})
        record = ET.SubElement(annotation, _edm("Record"))
        ET.SubElement(record, _edm("PropertyValue"), {"Property": prop, "Bool": writable})


def _edm(tag: str) -> str:
    return tag  # in the schema's default namespace


def _enum_types(types: Iterable[EntitySchema]) -> dict[str, tuple[str, ...]]:
    enums: dict[str, tuple[str, ...]] = {}
    for entity in types:
        for spec in entity.fields:
            if spec.kind != "enum":
                continue
            known = enums.setdefault(spec.enum_type, spec.options)
            if known != spec.options:
                raise ValueError(f"enum type {spec.enum_type} has two option lists: {known} and {spec.options}")
    return enums


def _entity_type(parent: ET.Element, entity: EntitySchema) -> None:
    element = ET.SubElement(parent, _edm("EntityType"), {"Name": entity.entity_type})
    key = ET.SubElement(element, _edm("Key"))
    for name in entity.key:
        ET.SubElement(key, _edm("PropertyRef"), {"Name": name})
    for spec in entity.fields:
        _property(element, spec)
    for navigation in entity.navigation:
        _navigation(element, navigation)


def _property(parent: ET.Element, spec: Field) -> None:
    attributes = {"Name": spec.name, "Type": spec.metadata_type, "Nullable": "false"}
    if spec.length is not None:
        attributes["MaxLength"] = str(spec.length)
    if spec.kind == "decimal":
        attributes["Scale"] = "Variable"
    element = ET.SubElement(parent, _edm("Property"), attributes)
    if spec.read_only:
        ET.SubElement(element, _edm("Annotation"), {"Term": _COMPUTED, "Bool": "true"})


def _navigation(parent: ET.Element, navigation: Navigation) -> None:
    attributes = {"Name": navigation.name, "Type": navigation.metadata_type}
    if navigation.contained:
        attributes["ContainsTarget"] = "true"
    element = ET.SubElement(parent, _edm("NavigationProperty"), attributes)
    if navigation.lookup is not None:
        here, there = navigation.lookup
        ET.SubElement(element, _edm("ReferentialConstraint"), {"Property": here, "ReferencedProperty": there})
