"""Reads XML (or, with --plist, an Apple property list) on stdin with Python's own parsers and prints
it as JSON, so a test checks what a stock XML parser makes of what the server served.
XML elements become {"tag", "attrib", "text", "children"} with namespaces as {uri}name."""
import json
import plistlib
import sys
import xml.etree.ElementTree as ET

data = sys.stdin.buffer.read()
if "--plist" in sys.argv:
    print(json.dumps(plistlib.loads(data, fmt=plistlib.FMT_XML), default=str))
else:
    def walk(e):
        return {"tag": e.tag, "attrib": e.attrib, "text": (e.text or "").strip(), "children": [walk(c) for c in e]}
    print(json.dumps(walk(ET.fromstring(data))))
