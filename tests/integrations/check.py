"""Reads what the repository ships for Argo CD with PyYAML, checks it against the fields Argo CD
documents, and prints what the Rust test runs; reads rendered manifests as a YAML 1.1 reader
(PyYAML, as Helm's and kubectl's YAML is) and prints them as JSON.

    check.py argocd CONFIGMAP PATCH            -> {"init": [...], "generate": [...]}
    check.py documents STREAM                  -> every document of a YAML stream, as JSON
"""
import json
import sys

import yaml


def fail(message):
    sys.exit(f"check.py: {message}")


# The fields of a ConfigManagementPlugin, as docs/operator-manual/config-management-plugins.md
# documents them.
CMP_SPEC = {
    "version": None,
    "init": {"command": None, "args": None},
    "generate": {"command": None, "args": None},
    "discover": {"fileName": None, "find": {"glob": None, "command": None}},
    "parameters": {"static": None, "dynamic": {"command": None}},
    "preserveFileMode": None,
    "provideGitCreds": None,
}


def only_documented(value, schema, where):
    if schema is None:
        return
    if not isinstance(value, dict):
        fail(f"{where} is not a mapping")
    for key, inner in value.items():
        if key not in schema:
            fail(f"{where}.{key} is not a documented field")
        only_documented(inner, schema[key], f"{where}.{key}")


def argocd(configmap_path, patch_path):
    with open(configmap_path) as f:
        configmap = yaml.safe_load(f)
    if configmap["kind"] != "ConfigMap":
        fail("the plugin config is not a ConfigMap")
    plugin = yaml.safe_load(configmap["data"]["plugin.yaml"])
    yaml.safe_load(configmap["data"]["config.yaml"])
    if plugin.get("apiVersion") != "argoproj.io/v1alpha1" or plugin.get("kind") != "ConfigManagementPlugin":
        fail("not an argoproj.io/v1alpha1 ConfigManagementPlugin")
    if set(plugin) - {"apiVersion", "kind", "metadata", "spec"} or set(plugin["metadata"]) != {"name"}:
        fail("undocumented top-level or metadata fields")
    only_documented(plugin["spec"], CMP_SPEC, "spec")
    generate = plugin["spec"]["generate"]
    if not generate.get("command"):
        fail("spec.generate.command is required")

    with open(patch_path) as f:
        patch = yaml.safe_load(f)
    if (patch["kind"], patch["metadata"]["name"]) != ("Deployment", "argocd-repo-server"):
        fail("the patch is not for the argocd-repo-server Deployment")
    pod = patch["spec"]["template"]["spec"]
    (sidecar,) = pod["containers"]
    if sidecar["command"] != ["/var/run/argocd/argocd-cmp-server"]:
        fail("the sidecar's entrypoint must be argocd-cmp-server")
    context = sidecar["securityContext"]
    if context.get("runAsUser") != 999 or context.get("runAsNonRoot") is not True:
        fail("the sidecar must run as user 999")
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    if mounts["/var/run/argocd"]["name"] != "var-files" or mounts["/home/argocd/cmp-server/plugins"]["name"] != "plugins":
        fail("var-files and plugins must be mounted where argocd-cmp-server looks")
    config = mounts["/home/argocd/cmp-server/config/plugin.yaml"]
    if config.get("subPath") != "plugin.yaml":
        fail("plugin.yaml must be mounted with subPath")
    if mounts["/tmp"]["name"] == "tmp":
        fail("the sidecar must not share the repo-server's /tmp")
    defined = {v["name"] for v in pod["volumes"]} | {"var-files", "plugins"}
    for mount in sidecar["volumeMounts"]:
        if mount["name"] not in defined:
            fail(f"volume {mount['name']} is not defined")
    if {v["name"]: v for v in pod["volumes"]}[config["name"]]["configMap"]["name"] != configmap["metadata"]["name"]:
        fail("plugin.yaml does not come from the shipped ConfigMap")
    init = plugin["spec"].get("init", {})
    print(json.dumps({
        "init": list(init.get("command", [])) + list(init.get("args", [])),
        "generate": list(generate["command"]) + list(generate.get("args", [])),
    }))


def documents(stream_path):
    with open(stream_path) as f:
        print(json.dumps([d for d in yaml.safe_load_all(f) if d is not None]))


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    {"argocd": argocd, "documents": documents}[mode](*args)
