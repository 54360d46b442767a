#!/usr/bin/env python3
"""Checks the layering of the workspace.

1. No engine crate (crates/*) depends on the application package `driftlens`, directly or
   through another member (from `cargo metadata --no-deps`).
2. Lists the import cycles between the modules (files) of each crate: reads every
   `crate::…`, `super::…` and `self::…` path outside comments, resolves it to the module file
   it names, and prints each strongly connected component of more than one file.

Exits 1 when an engine depends on the application or there is a cycle.
Usage: scripts/check-layers.py [CRATE_SRC_DIR ...] (default: src and every crates/*/src).
"""
import json
import subprocess
import glob
import os
import re
import sys


def modules(src):
    """Module path (tuple) -> file, for one crate's src directory."""
    out = {}
    for f in glob.glob(os.path.join(src, "**", "*.rs"), recursive=True):
        rel = os.path.relpath(f, src)[:-3].split(os.sep)
        if rel[-1] in ("mod", "lib", "main"):
            rel = rel[:-1]
        out[tuple(rel)] = f
    return out


PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)


def code(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(re.sub(r"//.*", "", line) for line in text.splitlines())


def resolve(mods, here, head, rest):
    if head == "crate":
        base = ()
    elif head == "self":
        base = here
    else:
        base = here[:-1]
    parts = [p for p in rest.split("::") if p]
    while parts and parts[0] == "super":
        base = base[:-1]
        parts.pop(0)
    path = base + tuple(parts)
    # the longest prefix that is a module file
    for n in range(len(path), -1, -1):
        if path[:n] in mods:
            return path[:n]
    return None


def graph(src):
    mods = modules(src)
    edges = {m: set() for m in mods}
    for m, f in mods.items():
        text = code(open(f, encoding="utf-8").read())
        # a file's own `mod tests` is part of it; inline test modules see `super` as the file
        refs = []
        for g in USE_GROUP.finditer(text):
            for item in re.split(r",\s*", g.group(3)):
                item = item.strip().split(" as ")[0].split("::{")[0]
                if item and item not in ("self", "*"):
                    refs.append((g.group(1), g.group(2) + "::" + item))
        refs += [(h, r) for h, r in PATH.findall(text)]
        # within `mod tests { use super::*; }`, super is the file itself
        for head, rest in refs:
            here = m + ("tests",) if head == "super" and rest.startswith("::*") else m
            t = resolve(mods, here if head != "super" else m, head, rest)
            if t is not None and t != m and t != m[: len(t)]:
                edges[m].add(t)
    return mods, edges


def sccs(edges):
    index, low, stack, on, out, i = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = i[0]
        i[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    return out


def engines_depending_on_the_application():
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--no-deps", "--offline", "--format-version", "1"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    members = {p["name"]: p for p in meta["packages"]}
    deps = {
        n: {d["name"] for d in p["dependencies"] if d["name"] in members and d["kind"] != "dev"}
        for n, p in members.items()
    }
    bad = []
    for name, p in sorted(members.items()):
        if name == "driftlens":
            continue
        seen, todo = set(), list(deps[name])
        while todo:
            d = todo.pop()
            if d not in seen:
                seen.add(d)
                todo.extend(deps[d])
        print(f"{name} -> {', '.join(sorted(deps[name])) or '(no workspace crate)'}")
        if "driftlens" in seen:
            bad.append(name)
    return bad


def main():
    srcs = sys.argv[1:] or ["src"] + sorted(glob.glob("crates/*/src"))
    found = False
    if not sys.argv[1:]:
        for name in engines_depending_on_the_application():
            found = True
            print(f"{name} depends on the application crate")
    for src in srcs:
        mods, edges = graph(src)
        for comp in sccs(edges):
            if len(comp) > 1:
                found = True
                names = sorted(os.path.relpath(mods[m]) for m in comp)
                print(f"{src}: cycle between {len(names)} modules:")
                for n in names:
                    print(f"  {n}")
    if not found:
        print("no module cycles in " + ", ".join(srcs))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
