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

import configparser
import xml.etree.ElementTree as ET

import iniconfig
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


def ini_configparser(text):
    """Python's configparser with its defaults: basic interpolation, keys lower-cased."""
    parser = configparser.ConfigParser()
    parser.read_string(text)
    return {name: dict(parser[name].items()) for name in parser.sections()}


def ini_iniconfig(text):
    """pytest's and tox's reader: no interpolation."""
    ini = iniconfig.IniConfig("x.ini", data=text)
    return {section.name: dict(section.items()) for section in ini}


def xml_etree(text, path=None):
    """Python's ElementTree (expat), as the Java reader's shape: an element's text and each
    child's tail as text children, adjacent text merged, comments and PIs kept."""
    builder = ET.TreeBuilder(insert_comments=True, insert_pis=True)
    parser = ET.XMLParser(target=builder)
    parser.feed(text)
    root = parser.close()

    def name(tag):
        return (tag[1:].split("}", 1) if tag.startswith("{") else [None, tag])

    def node(element):
        if element.tag is ET.Comment:
            return {"comment": element.text}
        if element.tag is ET.ProcessingInstruction:
            target, _, data = element.text.partition(" ")
            return {"pi": target, "data": data}
        ns, local = name(element.tag)
        children = []

        def text(t):
            if t:
                if children and isinstance(children[-1], str):
                    children[-1] += t
                else:
                    children.append(t)

        text(element.text)
        for child in element:
            children.append(node(child))
            text(child.tail)
        return {
            "name": local,
            "ns": ns,
            "attributes": {name(k)[1]: v for k, v in element.attrib.items()},
            "children": children,
        }

    return [node(root)]


BATCHED = {}


def batched(kind):
    """A reader whose results were read for every file at once (a JVM or Node.js start per
    file would take minutes): `key` picks a part of the result."""

    def read(text, path, key=None):
        result = BATCHED[kind][path]
        if "error" in result:
            raise ValueError(result["error"])
        value = result["value"]
        return value[key] if key else value

    return read


def hcl_value(node):
    """hcl2json's JSON, read as Terraform reads its JSON syntax: `$${` and `%%{` are a literal
    `${` and `%{`; HCL has one number type."""
    if isinstance(node, str):
        return node.replace("$${", "${").replace("%%{", "%{")
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, (int, float)):
        return float(node)
    if isinstance(node, list):
        return [hcl_value(item) for item in node]
    return {hcl_value(k): hcl_value(v) for k, v in node.items()}


def run_batch(cases):
    """Reads every properties, XML and HCL file of the manifest with Java and Node.js."""
    here = os.path.dirname(os.path.abspath(__file__))
    jobs = {
        "properties": (["java", os.path.join(here, "Readers.java"), "properties"], "properties"),
        "xml": (["java", os.path.join(here, "Readers.java"), "xml"], "xml"),
        "hcl": (["node", os.path.join(here, "hcl2json.js"), os.environ.get("SECRETMASK_TEST_HCL2JSON", "")], "hcl"),
    }
    for kind, (command, fmt) in jobs.items():
        paths = sorted({c[k] for c in cases if c["format"] == fmt for k in ("template", "output")})
        BATCHED[kind] = {}
        if not paths:
            continue
        run = subprocess.run(command, input="\n".join(paths) + "\n", capture_output=True, text=True, timeout=600)
        if run.returncode != 0:
            raise SystemExit(f"{command[0]} reader failed: {run.stderr[-2000:]}")
        # JSON lines: U+2028 and its kin may stand unescaped in them, so split at LF only.
        for line in filter(None, run.stdout.split("\n")):
            result = json.loads(line)
            BATCHED[kind][result["path"]] = result


def java_properties(key):
    read = batched("properties")
    return lambda text, path: read(text, path, key)


def hcl2json(text, path):
    return hcl_value(batched("hcl")(text, path))


READERS = {
    "yaml": [("PyYAML", yaml11), ("ruamel.yaml", yaml12)],
    "json": [("json", json.loads)],
    "toml": [("tomllib", tomllib.loads)],
    "env": [("python-dotenv", dotenv)],
    "shell": [("bash", shell("bash")), ("dash", shell("dash"))],
    "properties": [
        ("Properties.load(InputStream)", java_properties("stream")),
        ("Properties.load(Reader)", java_properties("reader")),
    ],
    "ini": [("configparser", ini_configparser), ("iniconfig", ini_iniconfig)],
    "xml": [("xml.etree", xml_etree), ("Java DOM", batched("xml"))],
    "hcl": [("hcl2json (HashiCorp's HCL)", hcl2json)],
}

# Readers that take the file's path too.
BY_PATH = {"properties", "xml", "hcl"}


def typed(case):
    """The value a reader finds where the mask stands as a whole typed value."""
    value, kind, fmt = case["value"], case["kind"], case["format"]
    if fmt == "toml":
        return tomllib.loads("k = " + value)["k"]
    if fmt == "hcl":
        return hcl_value(json.loads(value))
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


def tag_value(case):
    """What a reader must construct at `a` for a scalar with an explicit core tag."""
    value, tag = case["value"], case["tag"]
    if tag == "int":
        return int(value)
    if tag == "float":
        special = {".inf": math.inf, "-.inf": -math.inf, "+.inf": math.inf, ".nan": math.nan}
        return special.get(value.lower(), None) if value.lower() in special else float(value)
    if tag == "bool":
        return value.lower() == "true"
    if tag == "null":
        return None
    return value


def check_tagged(case, name, read, got_text):
    """A tagged case: the template's token cannot be read under the tag, so only `a` is
    compared."""
    try:
        got = read(got_text)[0]["a"]
    except Exception as e:  # a reader that refuses the output is a failure
        got = f"<{type(e).__name__}: {e}>"
    want = tag_value(case)
    if not same(got, want):
        print(json.dumps({"id": case["id"], "reader": name, "want": repr(want), "got": repr(got)}), flush=True)


def main():
    cases = json.load(open(sys.argv[1], encoding="utf-8"))
    workdir = sys.argv[2]
    run_batch(cases)
    templates = {}
    for case in cases:
        if case.get("tag"):
            with open(case["output"], encoding="utf-8", newline="") as f:
                text = f.read()
            for name, read in READERS["yaml"]:
                check_tagged(case, name, read, text)
            continue
        for name, read in READERS[case["format"]]:
            args = (workdir,) if case["format"] == "shell" else ()
            key = (name, case["template"])
            if key not in templates:
                with open(case["template"], encoding="utf-8", newline="") as f:
                    path = (case["template"],) if case["format"] in BY_PATH else ()
                    templates[key] = read(f.read(), *path, *args)
            try:
                with open(case["output"], encoding="utf-8", newline="") as f:
                    path = (case["output"],) if case["format"] in BY_PATH else ()
                    got = read(f.read(), *path, *args)
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
