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

Optionally (`--go-types DIR --go-source TEXT`), Go's JSON encoding facts that the OpenAPI
document lacks are added from the Kubernetes Go types: for each field, "oe" (`omitempty`),
"oz" (`omitzero`) and "ptr" (a pointer field, whose zero value survives the round-trip); a
definition with these facts is marked "go". Fields the Go types have and the document lacks
(added to Kubernetes later) are added with a type derived from the Go type and the patch
metadata of their struct tags and `+listType` / `+listMapKey` markers. DIR holds `<group>/<version>/types.go` files of
`k8s.io/api` and `meta/v1/types.go` of `k8s.io/apimachinery` (copied out of those
repositories, e.g. `git -C api show HEAD:apps/v1/types.go`); they are only read, never
committed.

Usage: scripts/gen-patch-meta.py openapiv2.bin [--go-types DIR --go-source TEXT] \
         > crates/driftlens-merge/src/data/k8s-types.json
"""
import hashlib
import json
import os
import re
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


# Fields added to the Kubernetes API after the version of the OpenAPI document (v1.24) that
# real manifests commonly use. Without them an object using such a field would fail driftlens'
# typed round-trip and be compared raw. Types follow the Kubernetes API reference; nested
# structures driftlens does not need to canonicalize are typed as free-form objects.
ANY = {"t": "object"}
SUPPLEMENT = {
    "io.k8s.api.core.v1.Container": {
        "restartPolicy": {"t": "string"},
        "resizePolicy": {"t": "array", "i": ANY, "lt": "atomic"},
    },
    "io.k8s.api.core.v1.EphemeralContainer": {
        "restartPolicy": {"t": "string"},
        "resizePolicy": {"t": "array", "i": ANY, "lt": "atomic"},
    },
    "io.k8s.api.core.v1.PodSpec": {
        "schedulingGates": {"t": "array", "i": ANY, "mk": "name", "ps": "merge",
                            "lt": "map", "lk": ["name"]},
        "resourceClaims": {"t": "array", "i": ANY, "mk": "name", "ps": "merge,retainKeys",
                           "lt": "map", "lk": ["name"]},
        "hostUsers": {"t": "boolean"},
        "resources": {"ref": "io.k8s.api.core.v1.ResourceRequirements"},
    },
    "io.k8s.api.core.v1.PodSecurityContext": {
        "appArmorProfile": ANY,
        "supplementalGroupsPolicy": {"t": "string"},
        "seLinuxChangePolicy": {"t": "string"},
    },
    "io.k8s.api.core.v1.SecurityContext": {"appArmorProfile": ANY},
    "io.k8s.api.core.v1.LifecycleHandler": {"sleep": ANY},
    "io.k8s.api.core.v1.Volume": {"image": ANY},
    "io.k8s.api.core.v1.ResourceRequirements": {
        "claims": {"t": "array", "i": ANY, "lt": "map", "lk": ["name"]},
    },
    "io.k8s.api.core.v1.PersistentVolumeClaimSpec": {
        "volumeAttributesClassName": {"t": "string"},
    },
    "io.k8s.api.core.v1.TopologySpreadConstraint": {
        "matchLabelKeys": {"t": "array", "i": {"t": "string"}, "lt": "atomic"},
        "nodeAffinityPolicy": {"t": "string"},
        "nodeTaintsPolicy": {"t": "string"},
    },
    "io.k8s.api.core.v1.ServiceSpec": {"trafficDistribution": {"t": "string"}},
    "io.k8s.api.apps.v1.StatefulSetSpec": {"ordinals": ANY},
    "io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy": {
        "maxUnavailable": {"ref": "io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
    },
    "io.k8s.api.batch.v1.JobSpec": {
        "podReplacementPolicy": {"t": "string"},
        "backoffLimitPerIndex": {"t": "integer", "f": "int32"},
        "maxFailedIndexes": {"t": "integer", "f": "int32"},
        "successPolicy": ANY,
        "managedBy": {"t": "string"},
        "podFailurePolicy": ANY,
    },
}


def supplement(defs):
    for name, fields in SUPPLEMENT.items():
        props = defs.get(name, {}).get("p")
        if props is None:
            continue
        for field, ty in fields.items():
            props.setdefault(field, ty)


GO_FIELD = re.compile(
    r'^\s*(?:(\w+)\s+)?(\*?)((?:\[\])*(?:map\[[^\]]+\])?\*?[\w.]+)\s+`([^`]*)`')


def parse_go_structs(path):
    """struct name -> list of fields {json, opts, ptr, type, inline} of one types.go."""
    structs = {}
    with open(path) as fh:
        lines = fh.read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^type (\w+) struct \{\s*$", lines[i])
        if not m:
            i += 1
            continue
        fields = []
        markers = []
        i += 1
        while i < len(lines) and not lines[i].startswith("}"):
            line = lines[i]
            stripped = line.strip()
            if stripped.startswith("// +"):
                markers.append(stripped[3:])
            elif not stripped.startswith("//") and stripped:
                pass
            fm = GO_FIELD.match(line)
            if fm and not stripped.startswith("//"):
                name, ptr, gotype, tag = fm.groups()
                jm = re.search(r'json:"([^"]*)"', tag)
                if jm:
                    parts = jm.group(1).split(",")
                    fields.append({
                        "json": parts[0],
                        "opts": parts[1:],
                        "ptr": ptr == "*" or gotype.startswith("*"),
                        "type": gotype.lstrip("*"),
                        "inline": name is None or "inline" in parts[1:],
                        "tag": tag,
                        "markers": markers,
                    })
                markers = []
            elif stripped and not stripped.startswith("//"):
                markers = []
            i += 1
        structs[m.group(1)] = fields
    return structs


def parse_go_named(path):
    """Non-struct named types of one types.go: name -> underlying Go type text."""
    named = {}
    with open(path) as fh:
        for line in fh:
            m = re.match(r"^type (\w+) ((?:\[\])*(?:map\[[^\]]+\])?[\w.]+)\s*$", line)
            if m:
                named[m.group(1)] = m.group(2)
    return named


GO_SCALARS = {
    "string": {"t": "string"}, "bool": {"t": "boolean"}, "int": {"t": "integer"},
    "int32": {"t": "integer"}, "int64": {"t": "integer"}, "uint32": {"t": "integer"},
    "uint64": {"t": "integer"}, "float64": {"t": "number"}, "float32": {"t": "number"},
    "resource.Quantity": {"ref": "io.k8s.apimachinery.pkg.api.resource.Quantity"},
    "intstr.IntOrString": {"ref": "io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
    "metav1.Time": {"t": "string"}, "metav1.MicroTime": {"t": "string"},
    "metav1.Duration": {"t": "string"}, "types.UID": {"t": "string"},
    "metav1.ObjectMeta": {"ref": "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
    "metav1.LabelSelector": {"ref": "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"},
    "metav1.Condition": {"ref": "io.k8s.apimachinery.pkg.apis.meta.v1.Condition"},
}


def go_type_node(gotype, prefix, structs, named, defs, depth=0):
    """Schema node for a Go type of a field the OpenAPI document does not have."""
    gotype = gotype.lstrip("*")
    if depth > 8:
        return {"t": "object"}
    if gotype == "[]byte":
        return {"t": "string", "f": "byte"}
    if gotype.startswith("[]"):
        return {"t": "array",
                "i": go_type_node(gotype[2:], prefix, structs, named, defs, depth + 1)}
    m = re.match(r"^map\[[^\]]+\](.+)$", gotype)
    if m:
        return {"t": "object",
                "a": go_type_node(m.group(1), prefix, structs, named, defs, depth + 1)}
    if gotype in GO_SCALARS:
        return dict(GO_SCALARS[gotype])
    if gotype in named:
        return go_type_node(named[gotype], prefix, structs, named, defs, depth + 1)
    if gotype in structs and prefix + gotype in defs:
        return {"ref": prefix + gotype}
    return {"t": "object"}


def patch_meta_from_go(field):
    meta = {}
    pm = re.search(r'patchMergeKey:"([^"]*)"', field["tag"])
    ps = re.search(r'patchStrategy:"([^"]*)"', field["tag"])
    if pm:
        meta["mk"] = pm.group(1)
    if ps:
        meta["ps"] = ps.group(1)
    keys = []
    for marker in field["markers"]:
        if marker.startswith("listType="):
            meta["lt"] = marker.split("=", 1)[1]
        elif marker.startswith("listMapKey="):
            keys.append(marker.split("=", 1)[1])
    if keys:
        meta["lk"] = keys
    return meta


def flatten(structs, name, depth=0):
    """json name -> field, with inline embedded structs of the same file expanded."""
    out = {}
    for f in structs.get(name, []):
        if f["inline"] and f["json"] == "":
            if "." not in f["type"] and depth < 8:
                out.update(flatten(structs, f["type"], depth + 1))
            continue
        out[f["json"]] = f
    return out


def add_go_facts(defs, go_dir):
    for root, _, files in os.walk(go_dir):
        if "types.go" not in files:
            continue
        rel = os.path.relpath(root, go_dir).replace(os.sep, "/")
        parts = rel.split("/")
        if len(parts) != 2:
            continue
        group, version = parts
        prefix = ("io.k8s.apimachinery.pkg.apis.meta.v1." if rel == "meta/v1"
                  else "io.k8s.api.%s.%s." % (group, version))
        structs = parse_go_structs(os.path.join(root, "types.go"))
        named = parse_go_named(os.path.join(root, "types.go"))
        for name in structs:
            d = defs.get(prefix + name)
            if d is None or "p" not in d:
                continue
            fields = flatten(structs, name)
            d["go"] = 1
            # Fields added to Kubernetes after the OpenAPI document was taken.
            for prop, f in fields.items():
                if prop and prop not in d["p"]:
                    node = go_type_node(f["type"], prefix, structs, named, defs)
                    node.update(patch_meta_from_go(f))
                    d["p"][prop] = node
            for prop, node in d["p"].items():
                f = fields.get(prop)
                if f is None:
                    continue
                if "omitempty" in f["opts"]:
                    node["oe"] = 1
                if "omitzero" in f["opts"]:
                    node["oz"] = 1
                if f["ptr"]:
                    node["ptr"] = 1


def main():
    path = sys.argv[1]
    go_dir = None
    go_source = ""
    args = sys.argv[2:]
    while args:
        if args[0] == "--go-types" and len(args) > 1:
            go_dir = args[1]
            args = args[2:]
        elif args[0] == "--go-source" and len(args) > 1:
            go_source = args[1]
            args = args[2:]
        else:
            raise SystemExit("unknown argument %s" % args[0])
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
    supplement(defs)
    if go_dir:
        add_go_facts(defs, go_dir)
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
            "supplement": "fields added after v1.24 by hand: SUPPLEMENT in the generator",
            "go_types": go_source,
        },
        "gvks": gvks,
        "types": defs,
    }
    json.dump(out, sys.stdout, sort_keys=True, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
