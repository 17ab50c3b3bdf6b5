#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from tests/fixtures and ../shared/corpus (never committed:
fuzz/corpus is ignored, and the shared corpus is not ours to copy into the repository).

    python3 fuzz/seed.py [--max-per-target N]
"""
import argparse
import hashlib
import os
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "fuzz" / "corpus"
MAX_BYTES = 64 * 1024  # libFuzzer's default -max_len is 4096; bigger seeds are cut anyway

# Name byte for the pipeline target: index into plumbline::fuzz::NAMES.
PIPELINE_NAMES = {
    "Dockerfile": 0, "compose.yaml": 2, "compose.override.yaml": 3, "deploy.yaml": 4,
    "Chart.yaml": 5, "values.yaml": 6, "values.production.yaml": 7, "template": 8,
    "helpers": 9, "bicep": 10, "bicepparam": 11, "tf": 12, "tfvars": 13,
}


def kind(path: pathlib.Path):
    name = path.name
    parts = path.parts
    if name.endswith(".md"):
        return None
    if name in ("Dockerfile", "Containerfile") or name.startswith("Dockerfile.") or name.endswith(".dockerfile"):
        return "dockerfile"
    if name.endswith(".bicep"):
        return "bicep"
    if name.endswith(".bicepparam"):
        return "bicepparam"
    if name.endswith(".tf"):
        return "terraform"
    if name.endswith(".tfvars"):
        return "tfvars"
    if name.endswith(".tpl"):
        return "helpers"
    if name.endswith((".yaml", ".yml")):
        if "templates" in parts:
            return "template"
        if name == "Chart.yaml":
            return "chart"
        if re.match(r"(docker-)?compose", name):
            return "compose"
        if name.startswith("values"):
            return "values"
        return "kubernetes"
    return None


def files():
    for base in (ROOT / "tests" / "fixtures", ROOT / "examples", SHARED):
        for dirpath, _, names in os.walk(base):
            for n in names:
                p = pathlib.Path(dirpath) / n
                k = kind(p)
                if k and p.stat().st_size <= MAX_BYTES:
                    yield k, p


def put(target: str, data: bytes, counts: dict, limit: int):
    if counts.get(target, 0) >= limit:
        return
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)
    counts[target] = counts.get(target, 0) + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-per-target", type=int, default=800)
    args = ap.parse_args()
    counts = {}
    by_kind = {}
    for k, p in sorted(files(), key=lambda x: str(x[1])):
        data = p.read_bytes()
        by_kind.setdefault(k, []).append(data)
        target = {
            "dockerfile": "dockerfile", "bicep": "bicep", "bicepparam": "bicep",
            "terraform": "terraform", "tfvars": "terraform", "compose": "compose",
            "kubernetes": "kubernetes", "values": "helm", "chart": "yaml",
            "template": None, "helpers": None,
        }[k]
        if target:
            put(target, data, counts, args.max_per_target)
        if k in ("compose", "kubernetes", "values", "chart"):
            put("yaml", data, counts, args.max_per_target)
        # Pipeline: one record per file; the pairing below adds multi-file seeds.
        pick = {"dockerfile": 0, "compose": 2, "kubernetes": 4, "values": 6, "chart": 5,
                "template": 8, "helpers": 9, "bicep": 10, "bicepparam": 11,
                "terraform": 12, "tfvars": 13}[k]
        put("pipeline", bytes([pick]) + data.replace(b"\0", b""), counts, args.max_per_target)
    # Helm: values, NUL, a template (the split the target expects).
    values = by_kind.get("values", [])
    templates = by_kind.get("template", [])
    for i, t in enumerate(templates[: args.max_per_target]):
        v = values[i % len(values)] if values else b""
        put("helm", v + b"\0" + t, counts, 2 * args.max_per_target)
        # The engine: the template, NUL, values, NUL, helpers.
        h = by_kind.get("helpers", [])
        helpers = h[i % len(h)] if h else b""
        put("helm_template", t.replace(b"\0", b"") + b"\0" + v.replace(b"\0", b"") + b"\0" + helpers.replace(b"\0", b""), counts, args.max_per_target)
        # A chart: values (name byte 1), the template (3), helpers (4).
        put("helm_chart", b"\x01" + v.replace(b"\0", b"") + b"\0\x03" + t.replace(b"\0", b"") + b"\0\x04" + helpers.replace(b"\0", b""), counts, args.max_per_target)
    # Pipeline: a Dockerfile with a Compose file, a chart's values with a template.
    docker = by_kind.get("dockerfile", [])
    compose = by_kind.get("compose", [])
    for i in range(min(len(docker), len(compose), 200)):
        put("pipeline", b"\x00" + docker[i] + b"\0\x02" + compose[i], counts, 2 * args.max_per_target)
    for i in range(min(len(values), len(templates), 200)):
        put("pipeline", b"\x06" + values[i] + b"\0\x08" + templates[i], counts, 2 * args.max_per_target)
    # Pipeline: hostile names (a name byte past NAMES takes the record's first line as the
    # name) and secrets of every detector, for the output invariants.
    for seed in hostile_pipeline_seeds():
        put("pipeline", seed, counts, 3 * args.max_per_target)
    for t, n in sorted(counts.items()):
        print(f"{t}: {n} seeds")


def hostile_pipeline_seeds():
    names = [
        "a\n::error title=x::pwn/Dockerfile", "b\r\n::add-mask::x/compose.yaml",
        "c\x1b]0;t\x07/Dockerfile", "d\u202e/x.tf", "C:/Dockerfile", "\\x.dockerfile",
        "e\u2028f/k.yaml", "g\x9b2J/Dockerfile", "h\ufffe\uffff/main.bicep",
    ]
    tokens = [
        "AKIAZ7Q2X4M9P3L8K6J5", "ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6",
        "npm_" + "Zq81" * 9, "xoxb-1234567890-abcdefghijkl", "AIza" + "Xy9" * 11 + "Qw",
        "sk_live_" + "Ab1" * 8, "github_pat_" + "a1B2" * 20 + "xy",
    ]
    bodies = [
        "FROM alpine:3.19\nADD https://u:S3cretPassw0rd@h/x.tgz /x\n{t}\nENV API_TOKEN={t}\n",
        "services:\n  \"w\\n::error::x{t}\":\n    image: nginx:latest\n    environment:\n      PASSWORD: {t}\n",
        "variable \"db_password\" {{\n  default = \"{t}\"\n}}\nresource \"docker_container\" \"c\" {{\n  image = \"nginx:latest\"\n}}\n",
        "param adminPassword string = '{t}'\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"p\\e[2J\\u202e\"\nspec:\n  containers:\n    - name: c\n      image: nginx:latest\n      env:\n        - name: TOKEN\n          value: {t}\n",
    ]
    for i, name in enumerate(names):
        t = tokens[i % len(tokens)]
        body = bodies[i % len(bodies)].format(t=t)
        yield b"\xff" + name.encode("utf-8", "surrogatepass") + b"\n" + body.encode()
        # The same body under a chosen name, beside a hostile one.
        yield bytes([i % 14]) + body.encode() + b"\0\xff" + name.encode() + b"\n" + body.encode()


if __name__ == "__main__":
    main()
