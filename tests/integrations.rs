//! Where rendering happens: the real Helm 3 and Helm 4 (scripts/test installs both, with kubectl)
//! run secretmask through each path the repository ships (`integrations/`) on the
//! prometheus-pushgateway chart, and the Argo CD plugin's own commands run as written with the
//! real Helm and kubectl's kustomize. What comes out is judged by its readers: PyYAML
//! (`tests/integrations/check.py`), kubectl, and secretmask's inventory for masks left behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use serde_json::Value;

use crate::support::{root, secretmask, test_env, tool};

const PASSWORD_MASK: &str = "{{workato:vault:password:kv/monitoring/pushgateway}}";
const PASSWORD: &str = "CANARY s3cr3t: pa55/w0rd+";
const PROXY_MASK: &str = "{{workato:vault:proxy-password:kv/monitoring/pushgateway}}";
const PROXY: &str = "CANARYpr0xy";
/// The chart's default HTTP probes send `Authorization: Basic base64(job:password)`: the chart
/// encodes the mask outside any Secret, so the release must be refused.
const WITH_PROBES: [&str; 4] = [
    "--set",
    "liveness.enabled=true",
    "--set",
    "readiness.enabled=true",
];

fn fixtures() -> PathBuf {
    root().join("fixtures/helm/pushgateway")
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A project as Helm leaves it for a post-renderer: the working directory, with the project's
/// `.secretmask.yaml` pointing at the test's secrets, trusted (in the folder's own `xdg/`).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("secrets.yaml"),
        dir.path().join("secrets.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".secretmask.yaml"),
        "secrets_file: secrets.yaml\n",
    )
    .unwrap();
    secretmask()
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("xdg"))
        .arg("trust")
        .assert()
        .success();
    dir
}

/// `PATH` with the built secretmask first, as a user who installed it has it.
fn path_with_secretmask(first: &[&Path]) -> String {
    let bin = PathBuf::from(assert_cmd::cargo::cargo_bin!("secretmask"));
    let mut dirs: Vec<String> = first.iter().map(|d| d.display().to_string()).collect();
    dirs.push(bin.parent().unwrap().display().to_string());
    dirs.push(std::env::var("PATH").unwrap());
    dirs.join(":")
}

/// One Helm binary with homes of its own (plugins, cache, repositories) and no cluster.
struct Helm {
    bin: PathBuf,
    home: tempfile::TempDir,
}

impl Helm {
    fn three() -> Option<Helm> {
        Helm::from("SECRETMASK_TEST_HELM3")
    }

    fn four() -> Option<Helm> {
        Helm::from("SECRETMASK_TEST_HELM4")
    }

    fn from(var: &str) -> Option<Helm> {
        Some(Helm {
            bin: tool(var)?,
            home: tempfile::tempdir().unwrap(),
        })
    }

    fn env(&self, command: &mut Command) {
        let home = self.home.path();
        command
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"))
            .env("KUBECONFIG", home.join("no-cluster"));
    }

    fn command(&self, project: &Path) -> Command {
        let mut command = Command::new(&self.bin);
        test_env(&mut command);
        self.env(&mut command);
        command
            .current_dir(project)
            .env("PATH", path_with_secretmask(&[]))
            .env("XDG_CONFIG_HOME", project.join("xdg"));
        command
    }

    /// `helm plugin install integrations/helm/plugin`, as the README says (Helm 4).
    fn install_plugin(&self, project: &Path) {
        let output = self
            .command(project)
            .args(["plugin", "install"])
            .arg(root().join("integrations/helm/plugin"))
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
    }

    /// `helm SUBCOMMAND metrics CHART --namespace monitoring -f values.yaml ARGS…`
    fn release(&self, project: &Path, subcommand: &str, args: &[&str]) -> Output {
        self.command(project)
            .args([subcommand, "metrics"])
            .arg(fixtures().join("chart"))
            .args(["--namespace", "monitoring", "-f"])
            .arg(fixtures().join("values.yaml"))
            .args(args)
            .output()
            .unwrap()
    }

    fn template(&self, project: &Path, args: &[&str]) -> Output {
        self.release(project, "template", args)
    }
}

/// Every document of a YAML stream as PyYAML reads it, the web config's bcrypt hash taken out
/// (Helm salts it afresh on every run).
fn documents(python: &Path, stream: &str) -> Vec<Value> {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), stream).unwrap();
    let mut documents: Vec<Value> = serde_json::from_str(&check(
        python,
        &["documents", &file.path().display().to_string()],
    ))
    .unwrap();
    for document in &mut documents {
        if let Some(data) = document.get_mut("data").and_then(Value::as_object_mut) {
            data.remove("web-config.yaml");
        }
    }
    documents
}

/// What the release must be: Helm's own output without a post-renderer, every mask replaced by
/// its value (base64 in the Secret, as the chart encodes it), read by PyYAML.
fn expected(python: &Path, helm: &Helm, project: &Path) -> Vec<Value> {
    let plain = helm.template(project, &[]);
    assert!(plain.status.success(), "{plain:?}");
    let stream = String::from_utf8(plain.stdout)
        .unwrap()
        .replace(&b64(PASSWORD_MASK), &b64(PASSWORD))
        .replace(PROXY_MASK, PROXY);
    assert!(
        !stream.contains("workato"),
        "the chart wrote a mask elsewhere"
    );
    documents(python, &stream)
}

/// A release Helm printed after the post-renderer ran: the documents Helm alone would give with
/// the values in place, the values exactly where their readers look, no mask left in any form.
fn assert_rendered(python: &Path, helm: &Helm, project: &Path, stdout: &[u8]) {
    let stream = std::str::from_utf8(stdout).unwrap();
    let documents = documents(python, stream);
    assert_eq!(documents, expected(python, helm, project));
    let secret = documents
        .iter()
        .find(|d| d["kind"] == "Secret" && d["data"].get("password").is_some())
        .expect("the basic-auth Secret");
    let password = base64::engine::general_purpose::STANDARD
        .decode(secret["data"]["password"].as_str().unwrap())
        .unwrap();
    assert_eq!(password, PASSWORD.as_bytes());
    assert!(stream.contains(&format!("http://pushgateway:{PROXY}@proxy.internal:3128")));
    assert_no_masks(stream);
    if let Some(kubectl) = tool("SECRETMASK_TEST_KUBECTL") {
        assert_eq!(kubectl_secret_password(&kubectl, stream), b64(PASSWORD));
    }
}

/// secretmask's inventory finds masks as written and in a Secret's base64 data: none remain.
fn assert_no_masks(stream: &str) {
    assert!(!stream.contains("workato"), "{stream}");
    let inventory = secretmask()
        .args(["inventory", "--format", "json", "-"])
        .write_stdin(stream)
        .output()
        .unwrap();
    assert!(inventory.status.success(), "{inventory:?}");
    let inventory: Value = serde_json::from_slice(&inventory.stdout).unwrap();
    assert_eq!(inventory["secrets"], serde_json::json!([]));
}

/// kubectl reads every object of the stream (offline: `label --local` decodes each one as the
/// API server would receive it) and prints the basic-auth Secret's `data.password`.
fn kubectl_secret_password(kubectl: &Path, stream: &str) -> String {
    let file = tempfile::NamedTempFile::with_suffix(".yaml").unwrap();
    std::fs::write(file.path(), stream).unwrap();
    let output = Command::new(kubectl)
        .env("KUBECONFIG", file.path().with_extension("no-cluster"))
        .args(["label", "--local", "checked=yes", "-f"])
        .arg(file.path())
        .args(["-o", "jsonpath={.data.password}"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// A refused release: Helm fails, prints no manifests, and the user reads why (secretmask's
/// findings, with their rule) and no value.
fn assert_refused_with(output: &Output, findings: &[&str]) {
    assert!(!output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains("kind:"),
        "Helm printed manifests: {stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    for finding in findings {
        assert!(stderr.contains(finding), "{finding} not in {stderr}");
    }
    assert!(!stderr.contains("CANARY"), "{stderr}");
    assert!(!stdout.contains("CANARY"), "{stdout}");
}

/// Helm 3.9+'s flags for a post-renderer that takes arguments.
const HELM_3_POST_RENDERER: [&str; 4] = [
    "--post-renderer",
    "secretmask",
    "--post-renderer-args",
    "render",
];

const ENCODED_OUTSIDE_A_SECRET: [&str; 2] = [
    "error: a base64 mask: render resolves a mask only as written",
    "error: 2 masks failed; nothing was written",
];

#[test]
fn helm_3_renders_the_release_with_the_post_renderer_flags() {
    // helm template metrics CHART --post-renderer secretmask --post-renderer-args render
    let (Some(python), Some(helm)) = (tool("SECRETMASK_TEST_PYTHON"), Helm::three()) else {
        return;
    };
    let project = project();
    let output = helm.template(project.path(), &HELM_3_POST_RENDERER);
    assert!(output.status.success(), "{output:?}");
    assert_rendered(&python, &helm, project.path(), &output.stdout);
}

#[test]
fn helm_3_renders_the_release_with_the_wrapper_script() {
    // helm template metrics CHART --post-renderer integrations/helm/secretmask-post-renderer
    let (Some(python), Some(helm)) = (tool("SECRETMASK_TEST_PYTHON"), Helm::three()) else {
        return;
    };
    let project = project();
    let script = root().join("integrations/helm/secretmask-post-renderer");
    let output = helm.template(
        project.path(),
        &["--post-renderer", &script.display().to_string()],
    );
    assert!(output.status.success(), "{output:?}");
    assert_rendered(&python, &helm, project.path(), &output.stdout);
}

#[test]
fn helm_4_renders_the_release_with_the_plugin_in_template_and_install() {
    let (Some(python), Some(helm)) = (tool("SECRETMASK_TEST_PYTHON"), Helm::four()) else {
        return;
    };
    let project = project();
    helm.install_plugin(project.path());
    let output = helm.template(project.path(), &["--post-renderer", "secretmask"]);
    assert!(output.status.success(), "{output:?}");
    assert_rendered(&python, &helm, project.path(), &output.stdout);

    // `helm install --dry-run=client` needs no cluster in Helm 4: the manifest it would apply
    // is the rendered one.
    let output = helm.release(
        project.path(),
        "install",
        &["--dry-run=client", "--post-renderer", "secretmask"],
    );
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let manifest = stdout
        .split_once("\nMANIFEST:\n")
        .expect("install prints the manifest")
        .1;
    let manifest = manifest.split("\nNOTES:\n").next().unwrap();
    assert_rendered(&python, &helm, project.path(), manifest.as_bytes());
}

#[test]
fn helm_3_refuses_a_release_whose_chart_encodes_a_mask_outside_a_secret_and_shows_why() {
    let Some(helm) = Helm::three() else { return };
    let project = project();
    let mut args = HELM_3_POST_RENDERER.to_vec();
    args.extend(WITH_PROBES);
    let output = helm.template(project.path(), &args);
    assert_refused_with(&output, &ENCODED_OUTSIDE_A_SECRET);
}

#[test]
fn helm_4_refuses_a_release_whose_chart_encodes_a_mask_outside_a_secret_and_shows_why() {
    // Helm 4 drops a post-renderer plugin's standard error; the plugin's script sends the
    // findings to Helm's own.
    let Some(helm) = Helm::four() else { return };
    let project = project();
    helm.install_plugin(project.path());
    let mut args = vec!["--post-renderer", "secretmask"];
    args.extend(WITH_PROBES);
    let output = helm.template(project.path(), &args);
    assert_refused_with(&output, &ENCODED_OUTSIDE_A_SECRET);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("plugin \"secretmask\" exited with error"),
        "{stderr}"
    );
}

#[test]
fn a_mask_that_does_not_resolve_stops_the_release_in_helm_3_and_helm_4() {
    let missing = "error: in this Secret's base64 data value: key `password` is not in the secret";
    let project = project();
    std::fs::write(
        project.path().join("secrets.yaml"),
        format!("kv/monitoring/pushgateway:\n  proxy-password: {PROXY}\n"),
    )
    .unwrap();
    if let Some(helm) = Helm::three() {
        let output = helm.template(project.path(), &HELM_3_POST_RENDERER);
        assert_refused_with(&output, &[missing]);
    }
    if let Some(helm) = Helm::four() {
        helm.install_plugin(project.path());
        let output = helm.template(project.path(), &["--post-renderer", "secretmask"]);
        assert_refused_with(&output, &[missing]);
    }
}

#[test]
fn the_argo_cd_plugin_generates_rendered_manifests_as_written() {
    let (Some(python), Some(helm), Some(kubectl)) = (
        tool("SECRETMASK_TEST_PYTHON"),
        Helm::three(),
        tool("SECRETMASK_TEST_KUBECTL"),
    ) else {
        return;
    };
    let cmp = root().join("integrations/argocd");
    let commands = check(
        &python,
        &[
            "argocd",
            &cmp.join("secretmask-cmp.yaml").display().to_string(),
            &cmp.join("repo-server-patch.yaml").display().to_string(),
        ],
    );
    let commands: Value = serde_json::from_str(&commands).unwrap();
    let argv = |name: &str| -> Vec<String> {
        commands[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };

    // The Application's source folder (the chart, with the values beside it), the image's
    // `helm` and `kustomize` (kubectl's), and secretmask's user config as the ConfigMap mounts it.
    let app = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("chart"), app.path());
    std::fs::copy(
        fixtures().join("values.yaml"),
        app.path().join("values-secretmask.yaml"),
    )
    .unwrap();
    let tools = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&helm.bin, tools.path().join("helm")).unwrap();
    let kustomize = tools.path().join("kustomize");
    std::fs::write(
        &kustomize,
        format!(
            "#!/bin/sh\n[ \"$1\" = build ] || exit 9\nshift\nexec {} kustomize \"$@\"\n",
            kubectl.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &kustomize,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir(config.path().join("secretmask")).unwrap();
    std::fs::write(
        config.path().join("secretmask/config.yaml"),
        format!(
            "secrets_file: {}\n",
            fixtures().join("secrets.yaml").display()
        ),
    )
    .unwrap();
    let run = |argv: &[String]| {
        let mut command = Command::new(&argv[0]);
        test_env(&mut command);
        helm.env(&mut command);
        command
            .args(&argv[1..])
            .current_dir(app.path())
            .env("PATH", path_with_secretmask(&[tools.path()]))
            .env("XDG_CONFIG_HOME", config.path())
            .env("ARGOCD_APP_NAME", "metrics")
            .env("ARGOCD_APP_NAMESPACE", "monitoring")
            .env("ARGOCD_ENV_HELM_ARGS", "-f values-secretmask.yaml")
            .output()
            .unwrap()
    };
    let init = run(&argv("init"));
    assert!(init.status.success(), "{init:?}");
    assert!(init.stdout.is_empty(), "init's output is not manifests");
    let generated = run(&argv("generate"));
    assert!(generated.status.success(), "{generated:?}");
    assert_rendered(&python, &helm, app.path(), &generated.stdout);

    // When helm fails, generate fails: Argo CD keeps the last good manifests.
    std::fs::write(
        app.path().join("templates/broken.yaml"),
        "{{ .Values.x.y.z }}\n",
    )
    .unwrap();
    let failed = run(&argv("generate"));
    assert!(!failed.status.success(), "{failed:?}");
    assert!(String::from_utf8_lossy(&failed.stderr).contains("broken.yaml"));

    // A folder without Chart.yaml is a kustomization: `kustomize build .` feeds the render.
    let kustomization = tempfile::tempdir().unwrap();
    std::fs::write(
        kustomization.path().join("kustomization.yaml"),
        "resources: [secret.yaml]\nnamespace: monitoring\n",
    )
    .unwrap();
    std::fs::write(
        kustomization.path().join("secret.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: basic-auth\ndata:\n  password: {}\n",
            b64(PASSWORD_MASK)
        ),
    )
    .unwrap();
    let built = {
        let mut command = Command::new(&argv("generate")[0]);
        test_env(&mut command);
        command
            .args(&argv("generate")[1..])
            .current_dir(kustomization.path())
            .env("PATH", path_with_secretmask(&[tools.path()]))
            .env("XDG_CONFIG_HOME", config.path())
            .output()
            .unwrap()
    };
    assert!(built.status.success(), "{built:?}");
    let stream = String::from_utf8(built.stdout).unwrap();
    assert_no_masks(&stream);
    assert_eq!(kubectl_secret_password(&kubectl, &stream), b64(PASSWORD));
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn check(python: &Path, args: &[&str]) -> String {
    let output = Command::new(python)
        .arg(root().join("tests/integrations/check.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "check.py {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_stream_that_starts_with_an_empty_document_is_still_read_as_yaml() {
    // Helm gives a template that renders only comments its `---` and `# Source:` line; a stream
    // can start with one (Helm orders templates by kind and name, so no shipped chart shows it).
    let dir = project();
    let empty = "---\n# Source: chart/templates/extra-manifests.yaml\n";
    let secret = |password: &str| {
        format!(
            "---\n# Source: chart/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: basic-auth\ndata:\n  password: \"{}\"\n",
            b64(password)
        )
    };
    let output = secretmask()
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("xdg"))
        .arg("render")
        .write_stdin(format!("{empty}{}", secret(PASSWORD_MASK)))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("{empty}{}", secret(PASSWORD))
    );
}
