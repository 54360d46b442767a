#!/usr/bin/env python3
"""Generate driftlens' Kubernetes type table from the Kubernetes OpenAPI v2 document.

Input: the OpenAPI v2 document in gnostic protobuf form
(`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`), as shipped in
`testdata/conformance/argocd/diff/gitops-engine-diff-testdata/openapiv2.bin`.

Output (stdout): compact JSON used by `src/compare/patchmeta.rs`:

    {"provenance": ..., "gvks": {"apps/v1/Deployment": "io.k8s.api.apps.v1.Deployment", ...},
     "types": {"<definition>": {"r": [required...], "p": {"<field>": <type>}} | <type>}}

where <type> is a small object: {"ref": name} | {"t": "string"|"integer"|"number"|"boolean"|
"object"|"array", "f": format, "i": <items type>, "a": <additionalProperties type>} plus the
patch metadata of the field: "mk" (x-kubernetes-patch-merge-key), "ps"
(x-kubernetes-patch-strategy), "lt" (x-kubernetes-list-type), "lk" (x-kubernetes-list-map-keys).

The protobuf is decoded with a minimal wire-format reader (no protobuf library needed); the
field numbers are those of gnostic's openapiv2/OpenAPIv2.proto (Document.definitions = 9,
NamedSchema{name=1,value=2}, Schema{_ref=1, format=2, required=19, additional_properties=21,
type=22, items=23, properties=25, vendor_extension=31}, NamedAny{name=1,value=2},
Any{yaml=2}).

Usage: scripts/gen-patch-meta.py openapiv2.bin > src/compare/data/k8s-types.json
"""
import hashlib
import json
import sys


def varint(buf, pos):
    result = 0
    shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields(buf):
    """Yield (field_number, wire_type, value) for one message."""
    pos = 0
    n = len(buf)
    while pos < n:
        key, pos = varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = varint(buf, pos)
        elif wt == 1:
            val = buf[pos:pos + 8]
            pos += 8
        elif wt == 2:
            ln, pos = varint(buf, pos)
            val = buf[pos:pos + ln]
            pos += ln
        elif wt == 5:
            val = buf[pos:pos + 4]
            pos += 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        yield num, wt, val


def yaml_scalar(text):
    """Vendor extension values are stored as YAML text; ours are scalars or flow lists."""
    text = text.strip()
    if text.startswith("- ") or "\n- " in text:
        return [yaml_scalar(x[2:]) for x in text.splitlines() if x.startswith("- ")]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse_gvk_list(text):
    """x-kubernetes-group-version-kind: a YAML list of {group, kind, version} maps."""
    out = []
    cur = None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("- "):
            cur = {}
            out.append(cur)
            s = s[2:]
        if ":" in s and cur is not None:
            k, v = s.split(":", 1)
            cur[k.strip()] = yaml_scalar(v)
    return out


def schema(buf):
    s = {}
    props = None
    required = []
    ext = {}
    for num, _, val in fields(buf):
        if num == 1:
            s["ref"] = val.decode().rsplit("/", 1)[-1]
        elif num == 2:
            s["f"] = val.decode()
        elif num == 19:
            required.append(val.decode())
        elif num == 21:
            for n2, _, v2 in fields(val):
                if n2 == 1:
                    s["a"] = schema(v2)
        elif num == 22:
            types = [v.decode() for n2, _, v in fields(val) if n2 == 1]
            if types:
                s["t"] = types[0]
        elif num == 23:
            for n2, _, v2 in fields(val):
                if n2 == 1:
                    s["i"] = schema(v2)
        elif num == 25:
            props = {}
            for n2, _, v2 in fields(val):
                if n2 != 1:
                    continue
                name = None
                sub = None
                for n3, _, v3 in fields(v2):
                    if n3 == 1:
                        name = v3.decode()
                    elif n3 == 2:
                        sub = schema(v3)
                if name is not None and sub is not None:
                    props[name] = sub
        elif num == 31:
            name = None
            yaml = ""
            for n2, _, v2 in fields(val):
                if n2 == 1:
                    name = v2.decode()
                elif n2 == 2:
                    for n3, _, v3 in fields(v2):
                        if n3 == 2:
                            yaml = v3.decode()
            if name is not None:
                ext[name] = yaml
    if "x-kubernetes-patch-merge-key" in ext:
        s["mk"] = yaml_scalar(ext["x-kubernetes-patch-merge-key"])
    if "x-kubernetes-patch-strategy" in ext:
        s["ps"] = yaml_scalar(ext["x-kubernetes-patch-strategy"])
    if "x-kubernetes-list-type" in ext:
        s["lt"] = yaml_scalar(ext["x-kubernetes-list-type"])
    if "x-kubernetes-list-map-keys" in ext:
        s["lk"] = yaml_scalar(ext["x-kubernetes-list-map-keys"])
    if "x-kubernetes-group-version-kind" in ext:
        s["gvk"] = parse_gvk_list(ext["x-kubernetes-group-version-kind"])
    if props is not None:
        s["p"] = props
    if required:
        s["r"] = required
    return s


def main():
    path = sys.argv[1]
    with open(path, "rb") as fh:
        data = fh.read()
    version = ""
    defs = {}
    for num, _, val in fields(data):
        if num == 2:
            for n2, _, v2 in fields(val):
                if n2 == 2:
                    version = v2.decode()
        if num == 9:
            for n2, _, v2 in fields(val):
                if n2 != 1:
                    continue
                name = None
                sub = None
                for n3, _, v3 in fields(v2):
                    if n3 == 1:
                        name = v3.decode()
                    elif n3 == 2:
                        sub = schema(v3)
                if name is not None and sub is not None:
                    defs[name] = sub
    # Only the Kubernetes API types are kept. Argo CD decodes kinds as typed objects only when
    # they are in the client-go scheme: the `io.k8s.api.*` groups. CustomResourceDefinition
    # (apiextensions) and APIService (kube-aggregator) are not in that scheme, and other
    # definitions in the document are custom resources of the cluster it was taken from.
    defs = {k: v for k, v in defs.items() if k.startswith("io.k8s.api.")
            or k.startswith("io.k8s.apimachinery.")}
    gvks = {}
    for name, s in sorted(defs.items()):
        for g in s.pop("gvk", []):
            if not name.startswith("io.k8s.api."):
                continue
            group = g.get("group", "")
            key = "%s/%s/%s" % (group, g.get("version", ""), g.get("kind", ""))
            gvks[key] = name
    out = {
        "provenance": {
            "source": "Kubernetes OpenAPI v2 document (gnostic protobuf), openapiv2.bin from "
                      "argoproj/argo-cd gitops-engine/pkg/diff/testdata at commit "
                      "37ee0097cf851bc2dd7665fc081bbce61a7e836e",
            "info_version": version,
            "sha256": hashlib.sha256(data).hexdigest(),
            "generator": "scripts/gen-patch-meta.py",
        },
        "gvks": gvks,
        "types": defs,
    }
    json.dump(out, sys.stdout, sort_keys=True, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
