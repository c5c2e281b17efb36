"""Reads rendered files back with readers secretmask does not use, and says where one of them
reads something other than the template with the secret value in the mask's place.

Input (argv[1]): a JSON manifest, a list of cases:
  {"id", "format", "output", "template", "token", "value", "kind", "typed", "chomp"}
`template` is the template with `token` where the mask was; what a reader makes of it, with
the token replaced by the value, is what it must make of `output`. Prints one JSON line per
disagreement and exits 0; a reader that crashes on a template is a failure too.
"""

import io
import json
import math
import os
import subprocess
import sys
import tomllib

import yaml
from dotenv import dotenv_values
from ruamel.yaml import YAML

RUAMEL = YAML(typ="safe", pure=True)


def yaml11(text):
    return list(yaml.safe_load_all(text))


def yaml12(text):
    return list(RUAMEL.load_all(text))


def dotenv(text):
    return dict(dotenv_values(stream=io.StringIO(text)))


def shell(name):
    def read(text, workdir):
        script = os.path.join(workdir, "script.sh")
        with open(script, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.write('\nprintf "%s" "$V" > value\n')
        run = subprocess.run(
            [name, script],
            cwd=workdir,
            env={"PATH": os.environ["PATH"]},
            capture_output=True,
            timeout=10,
        )
        if run.returncode != 0:
            raise ValueError(f"{name} exited {run.returncode}: {run.stderr[-300:]!r}")
        with open(os.path.join(workdir, "value"), "rb") as f:
            return {"V": f.read().decode("utf-8", "surrogateescape")}

    return read


READERS = {
    "yaml": [("PyYAML", yaml11), ("ruamel.yaml", yaml12)],
    "json": [("json", json.loads)],
    "toml": [("tomllib", tomllib.loads)],
    "env": [("python-dotenv", dotenv)],
    "shell": [("bash", shell("bash")), ("dash", shell("dash"))],
}


def typed(case):
    """The value a reader finds where the mask stands as a whole typed value."""
    value, kind, fmt = case["value"], case["kind"], case["format"]
    if fmt == "toml":
        return tomllib.loads("k = " + value)["k"]
    if fmt == "json" or kind != "string":
        return json.loads(value)
    return value


def chomp(text, how):
    body = text.rstrip("\n")
    if how == "strip":
        return body
    if how == "clip":
        return body + "\n" if len(body) < len(text) else body
    return text


def substitute(node, case):
    token = case["token"]
    if isinstance(node, str):
        if case["typed"] and node == token:
            return typed(case)
        if token in node:
            text = node.replace(token, case["value"])
            return chomp(text, case["chomp"]) if case.get("chomp") else text
        return node
    if isinstance(node, list):
        return [substitute(item, case) for item in node]
    if isinstance(node, dict):
        return {substitute(k, case): substitute(v, case) for k, v in node.items()}
    return node


def same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def main():
    cases = json.load(open(sys.argv[1], encoding="utf-8"))
    workdir = sys.argv[2]
    templates = {}
    for case in cases:
        for name, read in READERS[case["format"]]:
            args = (workdir,) if case["format"] == "shell" else ()
            key = (name, case["template"])
            if key not in templates:
                with open(case["template"], encoding="utf-8", newline="") as f:
                    templates[key] = read(f.read(), *args)
            try:
                with open(case["output"], encoding="utf-8", newline="") as f:
                    got = read(f.read(), *args)
            except Exception as e:  # a reader that refuses the output is a failure
                got = f"<{type(e).__name__}: {e}>"
            want = substitute(templates[key], case)
            pwned = os.path.exists(os.path.join(workdir, "pwned"))
            if pwned:
                os.remove(os.path.join(workdir, "pwned"))
            if pwned or not same(got, want):
                print(
                    json.dumps(
                        {
                            "id": case["id"],
                            "reader": name,
                            "want": repr(want),
                            "got": repr(got),
                            "ran a command": pwned,
                        }
                    ),
                    flush=True,
                )


main()
