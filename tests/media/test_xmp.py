"""XMP parsing: the shapes real apps write, the encodings of sidecars, and hostile input."""

from __future__ import annotations

import pytest

from node.media import xmp
from tests.interop.builders import INTEROP

RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
NS = 'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"'


def _packet(body: str) -> str:
    return (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}>'
        f'<rdf:Description rdf:about="" {NS}>{body}</rdf:Description></rdf:RDF></x:xmpmeta>'
    )


def test_attribute_element_and_array_forms_read_alike() -> None:
    props = xmp.parse(
        _packet(
            "<xmp:CreateDate>2020-01-02T03:04:05</xmp:CreateDate>"
            "<dc:subject><rdf:Bag><rdf:li>Beach</rdf:li><rdf:li>Dog</rdf:li></rdf:Bag></dc:subject>"
            '<dc:description><rdf:Alt><rdf:li xml:lang="fr">Plage</rdf:li>'
            '<rdf:li xml:lang="x-default">Beach</rdf:li></rdf:Alt></dc:description>'
        )
    )
    assert xmp.text(props, "xmp:CreateDate") == "2020-01-02T03:04:05"
    assert xmp.texts(props, "dc:subject") == ["Beach", "Dog"]
    assert xmp.text(props, "dc:description") == "Beach"  # x-default first


def test_prefixes_are_canonical_whatever_the_file_declared() -> None:
    packet = (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description '
        'xmlns:foo="http://ns.adobe.com/xap/1.0/" foo:CreateDate="2021-05-05"/></rdf:RDF>'
        "</x:xmpmeta>"
    )
    assert xmp.parse(packet) == {"xmp:CreateDate": "2021-05-05"}


def test_utf16_sidecars_with_and_without_bom() -> None:
    sidecar = (INTEROP / "metadata/xmp/dates/2000.xmp").read_bytes()
    assert sidecar.startswith(b"\xff\xfe")  # UTF-16 LE with a BOM, CRLF line ends
    assert xmp.text(xmp.parse(sidecar), "xmp:CreateDate") == "2000-09-27T14:35:33+02:00"
    no_bom = _packet("<xmp:CreateDate>2001-01-01</xmp:CreateDate>").encode("utf-16-le")
    assert xmp.text(xmp.parse(no_bom), "xmp:CreateDate") == "2001-01-01"
    big_endian = _packet("<xmp:CreateDate>2002-02-02</xmp:CreateDate>").encode("utf-16-be")
    assert xmp.text(xmp.parse(big_endian), "xmp:CreateDate") == "2002-02-02"


def test_iso_value_array_sidecar() -> None:
    props = xmp.parse((INTEROP / "problems/xmp/iso-value-array/iso-value-array.xmp").read_bytes())
    assert props["exif:ISOSpeedRatings"] == ["160"]
    assert xmp.text(props, "photoshop:DateCreated") == "2009-11-28T13:42:39"


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
) + _packet("<xmp:Label>&lol3;</xmp:Label>")
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + _packet(
    "<xmp:Label>&e;</xmp:Label>"
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "refused"),
        (EXTERNAL, "refused"),
        (_packet("<xmp:Label>unclosed"), "malformed"),
        ("just some text", "no XMP packet"),
        (b"\x00" * 100, "no XMP packet"),
        ("<x:xmpmeta" + " " * (xmp.MAX_PACKET + 1), "over the"),
    ],
)
def test_hostile_and_broken_packets_are_refused(data: str | bytes, message: str) -> None:
    with pytest.raises(xmp.XmpError, match=message):
        xmp.parse(data)


def test_nesting_is_bounded() -> None:
    deep = "<xmp:A rdf:parseType='Resource'>" * 200 + "x" + "</xmp:A>" * 200
    with pytest.raises(xmp.XmpError, match="nested too deeply"):
        xmp.parse(_packet(deep))
