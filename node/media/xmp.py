"""XMP packets (embedded in a photo, or a sidecar file beside it) read into plain values.

XMP is RDF in XML, and every app writes the same property in a different shape: as an attribute
or an element, a struct as `rdf:parseType="Resource"` or a nested `rdf:Description`, arrays as
Bag, Seq or Alt. `parse` folds all of these into one model — a property is a string, a list of
values, or a struct (a dict) — keyed by a canonical `prefix:name` whatever prefix the file
declared, so the readers (`dates`, `regions`, `motion`) look properties up one way.

The XML is untrusted: defusedxml refuses DTDs, entity declarations and external references (no
billion-laughs expansion, no file or network access), the packet size is capped before parsing,
and nesting depth is bounded while folding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from protocol.errors import RoostError

Value: TypeAlias = "str | list[Value] | dict[str, Value]"
Properties: TypeAlias = dict[str, Value]

MAX_PACKET = 4 * 1024 * 1024  # bytes: a sidecar with face regions and history is ~50 KB
_MAX_DEPTH = 32

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML = "http://www.w3.org/XML/1998/namespace"
XML_LANG = f"{{{_XML}}}lang"

# Namespace URI → the prefix Roost uses for it, whatever the file declared.
NAMESPACES: Mapping[str, str] = {
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
    "http://ns.google.com/photos/1.0/panorama/": "GPano",
    "http://ns.google.com/photos/1.0/camera/": "GCamera",
    "http://ns.google.com/photos/1.0/container/": "Container",
    "http://ns.google.com/photos/1.0/container/item/": "Item",
    "http://www.metadataworkinggroup.com/schemas/regions/": "mwg-rs",
    "http://ns.adobe.com/xmp/sType/Area#": "stArea",
    "http://ns.adobe.com/xap/1.0/sType/Dimensions#": "stDim",
    "http://ns.microsoft.com/photo/1.2/": "MP",
    "http://ns.microsoft.com/photo/1.2/t/RegionInfo#": "MPRI",
    "http://ns.microsoft.com/photo/1.2/t/Region#": "MPReg",
    "http://ns.adobe.com/lightroom/1.0/": "lr",
    "http://www.digikam.org/ns/1.0/": "digiKam",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
}


class XmpError(RoostError):
    """The packet is not XMP Roost will read; the message says why."""


def decode_text(data: bytes) -> str:
    """The text of an XMP file in whichever encoding it came: UTF-8 (with or without a BOM) or
    UTF-16 in either byte order, with or without a BOM (Windows tools write UTF-16 LE)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    head = data[:200]
    if head.count(b"\x00") > len(head) // 4:  # no BOM, but every other byte is zero
        little = head[1::2].count(0) > head[0::2].count(0)
        return data.decode("utf-16-le" if little else "utf-16-be", "replace")
    return data.decode("utf-8", "replace")


def parse(data: bytes | str) -> Properties:
    """Every property of every `rdf:Description` in the packet, merged."""
    if len(data) > MAX_PACKET:
        raise XmpError(f"XMP packet of {len(data)} bytes is over the {MAX_PACKET} byte limit")
    text = decode_text(data) if isinstance(data, bytes) else data
    text = text.replace("\x00", "").lstrip("\ufeff")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:  # XMP has no DTD; one is an attack
        raise XmpError("XMP refused: it declares a DTD or entities")
    start = text.find("<x:xmpmeta")
    if start < 0:
        start = text.find("<rdf:RDF")
    if start < 0:
        raise XmpError("no XMP packet (no x:xmpmeta or rdf:RDF element)")
    end = max(text.rfind("</x:xmpmeta>"), -1)
    body = text[start : end + len("</x:xmpmeta>")] if end > start else text[start:]
    if end < start:
        close = body.rfind("</rdf:RDF>")
        body = body[: close + len("</rdf:RDF>")] if close >= 0 else body
    try:
        root = fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise XmpError(f"XMP refused: {type(exc).__name__}") from exc
    except ParseError as exc:
        raise XmpError(f"malformed XMP: {exc}") from exc
    found: Properties = {}
    for rdf in root.iter(f"{{{RDF}}}RDF"):
        for description in rdf.findall(f"{{{RDF}}}Description"):
            found.update(_struct(description, 0))
    return found


def _name(tag: str) -> str | None:
    """`{uri}local` → `prefix:local` for a known namespace, else `{uri}local` unchanged."""
    if not tag.startswith("{"):
        return None
    uri, _, local = tag[1:].partition("}")
    if uri in (RDF, _XML):
        return None
    prefix = NAMESPACES.get(uri)
    return f"{prefix}:{local}" if prefix else tag


def _struct(element: Element, depth: int) -> Properties:
    """Attributes and child elements of a node that is a struct."""
    if depth > _MAX_DEPTH:
        raise XmpError("XMP nested too deeply")
    out: Properties = {}
    for key, text in element.attrib.items():
        name = _name(key)
        if name is not None:
            out[name] = text.strip()
    for child in element:
        name = _name(child.tag)
        if name is not None:
            out[name] = _value(child, depth + 1)
        elif child.tag == f"{{{RDF}}}Description":  # a nested description: same subject
            out.update(_struct(child, depth + 1))
    return out


def _value(element: Element, depth: int) -> Value:
    """The value of one property element, in whichever RDF shape it was written."""
    if depth > _MAX_DEPTH:
        raise XmpError("XMP nested too deeply")
    resource = element.get(f"{{{RDF}}}resource")
    if resource is not None:
        return resource
    if element.get(f"{{{RDF}}}parseType") == "Resource":
        return _struct(element, depth)
    for child in element:
        if child.tag in (f"{{{RDF}}}Bag", f"{{{RDF}}}Seq", f"{{{RDF}}}Alt"):
            items = child.findall(f"{{{RDF}}}li")
            if child.tag == f"{{{RDF}}}Alt":  # language alternatives: x-default first
                items.sort(key=lambda li: li.get(XML_LANG) != "x-default")
            return [_value(li, depth + 1) for li in items]
        if child.tag == f"{{{RDF}}}Description":
            return _struct(child, depth)
    if len(element) or any(_name(k) for k in element.attrib):
        return _struct(element, depth)  # shorthand: a struct's fields as attributes/children
    return (element.text or "").strip()


def text(props: Mapping[str, Value], name: str) -> str | None:
    """A property as one string: the value itself, or the first item of an array."""
    value = props.get(name)
    while isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


def texts(props: Mapping[str, Value], name: str) -> list[str]:
    """A property as a list of strings (a Bag of keywords; a single value is a list of one)."""
    value = props.get(name)
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, str) and v]


def struct(value: Value | None) -> Mapping[str, Value]:
    return value if isinstance(value, dict) else {}
