#!/usr/bin/env python3
"""Convert the YAML objects of testdata/conformance/argocd/diff/ into JSON copies.

The Rust tests read JSON only (driftlens' YAML loader lives in another pipeline stage). Each
`<folder>/<name>.yaml` becomes `json/<folder>/<name>.json` with the same content; YAML
timestamps stay strings, as they do when Kubernetes tooling reads these files.

Usage: scripts/gen-conformance-json.py testdata/conformance/argocd/diff
"""
import json
import os
import sys

import yaml


class Loader(yaml.SafeLoader):
    pass


# Keep timestamps as strings (Kubernetes objects carry them as strings).
Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def main():
    root = sys.argv[1]
    for folder in sorted(os.listdir(root)):
        src = os.path.join(root, folder)
        if folder == "json" or not os.path.isdir(src):
            continue
        for name in sorted(os.listdir(src)):
            if not name.endswith(".yaml"):
                continue
            with open(os.path.join(src, name)) as fh:
                docs = [d for d in yaml.load_all(fh, Loader=Loader) if d is not None]
            if len(docs) != 1:
                continue
            out_dir = os.path.join(root, "json", folder)
            os.makedirs(out_dir, exist_ok=True)
            with open(os.path.join(out_dir, name[:-5] + ".json"), "w") as out:
                json.dump(docs[0], out, indent=1, sort_keys=True)
                out.write("\n")


if __name__ == "__main__":
    main()
