//! Where rendering happens: secretmask driven exactly as Helm drives a post-renderer (a
//! `helm template` stream on stdin, manifests on stdout, a non-zero exit and nothing on stdout on
//! failure), through each path the repository ships (`integrations/`), and the Argo CD plugin's
//! own commands run as written. The shipped manifests are read with PyYAML and checked against
//! the fields Helm and Argo CD document (`tests/integrations/check.py`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine;

use crate::support::{root, secretmask, test_env, tool};

const PASSWORD_MASK: &str = "{{workato:vault:password:kv/monitoring/pushgateway}}";
const PASSWORD: &str = "CANARY s3cr3t: pa55/w0rd+";
const PROXY_MASK: &str = "{{workato:vault:proxy-password:kv/monitoring/pushgateway}}";
const PROXY: &str = "CANARYpr0xy";

fn chart() -> PathBuf {
    root().join("fixtures/helm/pushgateway")
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A folder as Helm leaves it for a post-renderer: the working directory, with the project's
/// `.secretmask.yaml` pointing at the test's secrets, trusted (in the folder's own `xdg/`, which
/// [`post_render`] uses).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        chart().join("secrets.yaml"),
        dir.path().join("secrets.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".secretmask.yaml"),
        "secrets_file: secrets.yaml\n",
    )
    .unwrap();
    crate::support::secretmask()
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("xdg"))
        .arg("trust")
        .assert()
        .success();
    dir
}

/// The stream with every mask replaced by its value: base64 in the Secret, as it is in the
/// proxy URL. Every other byte (`---`, `# Source:`, Helm's trailing spaces) is the template's.
fn expected() -> String {
    std::fs::read_to_string(chart().join("manifests.yaml"))
        .unwrap()
        .replace(&b64(PASSWORD_MASK), &b64(PASSWORD))
        .replace(PROXY_MASK, PROXY)
}

/// Runs `program args…` in `dir` with the chart's manifests on stdin, `PATH` leading to the
/// built secretmask first.
fn post_render(dir: &Path, program: &Path, args: &[String], stdin: &Path) -> Output {
    let bin = PathBuf::from(assert_cmd::cargo::cargo_bin!("secretmask"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    let mut command = Command::new(program);
    test_env(&mut command);
    if dir.join("xdg").is_dir() {
        command.env("XDG_CONFIG_HOME", dir.join("xdg"));
    }
    command
        .args(args)
        .env("PATH", path)
        .current_dir(dir)
        .stdin(std::fs::File::open(stdin).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.output().unwrap()
}

/// `secretmask render` run as Helm 3.9+ runs it for `--post-renderer secretmask
/// --post-renderer-args render`: in the project, the chart's stream on stdin.
fn helm_post_renders(dir: &tempfile::TempDir, manifests: &str) -> Output {
    secretmask()
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("xdg"))
        .arg("render")
        .pipe_stdin(chart().join(manifests))
        .unwrap()
        .output()
        .unwrap()
}

#[test]
fn a_chart_stream_renders_as_the_helm_3_post_renderer_flags_call_it() {
    // helm install metrics CHART --post-renderer secretmask --post-renderer-args render
    let dir = project();
    let output = helm_post_renders(&dir, "manifests.yaml");
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty());
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected());
}

#[test]
fn the_helm_3_wrapper_script_renders_the_stream_in_sh_and_bash() {
    // helm install metrics CHART --post-renderer integrations/helm/secretmask-post-renderer
    let dir = project();
    let script = root().join("integrations/helm/secretmask-post-renderer");
    for shell in ["sh", "bash", "dash"] {
        let Ok(shell) = which(shell) else { continue };
        let output = post_render(
            dir.path(),
            &shell,
            &[script.display().to_string()],
            &chart().join("manifests.yaml"),
        );
        assert!(output.status.success(), "{}: {output:?}", shell.display());
        assert_eq!(String::from_utf8(output.stdout).unwrap(), expected());
    }
}

#[test]
fn the_helm_4_plugin_runs_secretmask_as_helm_4_calls_it() {
    let Some(python) = tool("SECRETMASK_TEST_PYTHON") else {
        return;
    };
    let command = check(
        &python,
        &[
            "helm-plugin",
            &root()
                .join("integrations/helm/plugin/plugin.yaml")
                .display()
                .to_string(),
        ],
    );
    let command: Vec<String> = serde_json::from_str(&command).unwrap();
    let dir = project();
    let program = which(&command[0])
        .unwrap_or_else(|_| PathBuf::from(assert_cmd::cargo::cargo_bin!("secretmask")));
    let output = post_render(
        dir.path(),
        &program,
        &command[1..],
        &chart().join("manifests.yaml"),
    );
    assert!(output.status.success(), "{output:?}");
    let rendered = String::from_utf8(output.stdout).unwrap();
    assert_eq!(rendered, expected());

    // A YAML reader reads the Secret's value back exactly.
    let file = dir.path().join("rendered.yaml");
    std::fs::write(&file, &rendered).unwrap();
    let password = check(
        &python,
        &[
            "secret-data",
            &file.display().to_string(),
            "metrics-prometheus-pushgateway-basic-auth",
            "password",
        ],
    );
    assert_eq!(password, PASSWORD);
}

#[test]
fn a_mask_the_chart_encoded_outside_a_secret_stops_the_release_with_nothing_on_stdout() {
    // The chart's HTTP probes carry `Basic base64(job:password)`: the placeholder would reach
    // the cluster, so the render is refused where it stands.
    let dir = project();
    let output = helm_post_renders(&dir, "manifests-with-probes.yaml");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "Helm must get no manifests");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines[0].starts_with("<stdin>:122:"), "{stderr}");
    assert!(lines[0].contains("a base64 mask"), "{stderr}");
    assert!(lines[1].starts_with("<stdin>:132:"), "{stderr}");
    assert!(!stderr.contains("CANARY"));
}

#[test]
fn a_mask_that_does_not_resolve_stops_the_release_with_nothing_on_stdout() {
    let dir = project();
    std::fs::write(
        dir.path().join("secrets.yaml"),
        format!("kv/monitoring/pushgateway:\n  proxy-password: {PROXY}\n"),
    )
    .unwrap();
    let output = helm_post_renders(&dir, "manifests.yaml");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("<stdin>:45:14: error: in this Secret's base64 data value: key `password` is not in the secret"),
        "{stderr}"
    );
}

#[test]
fn the_argo_cd_plugin_generates_rendered_manifests_as_written() {
    let Some(python) = tool("SECRETMASK_TEST_PYTHON") else {
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
    let commands: serde_json::Value = serde_json::from_str(&commands).unwrap();
    let argv = |name: &str| -> Vec<String> {
        commands[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };

    // The Application's source folder (a chart), a `helm` that prints the chart's stream and
    // records its arguments, and secretmask's user config as the ConfigMap mounts it.
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("Chart.yaml"), "name: pushgateway\n").unwrap();
    let tools = tempfile::tempdir().unwrap();
    let helm = tools.path().join("helm");
    std::fs::write(
        &helm,
        format!(
            "#!/bin/sh\necho \"$*\" >> {log}\ncase \"$1\" in template) cat {stream} ;; dependency) ;; *) exit 9 ;; esac\n",
            log = tools.path().join("helm.log").display(),
            stream = chart().join("manifests.yaml").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helm, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir(config.path().join("secretmask")).unwrap();
    std::fs::write(
        config.path().join("secretmask/config.yaml"),
        format!("secrets_file: {}\n", chart().join("secrets.yaml").display()),
    )
    .unwrap();
    let bin = PathBuf::from(assert_cmd::cargo::cargo_bin!("secretmask"));
    let run = |argv: &[String]| {
        let mut command = Command::new(&argv[0]);
        test_env(&mut command);
        command
            .args(&argv[1..])
            .current_dir(app.path())
            .env(
                "PATH",
                format!(
                    "{}:{}:{}",
                    tools.path().display(),
                    bin.parent().unwrap().display(),
                    std::env::var("PATH").unwrap()
                ),
            )
            .env("XDG_CONFIG_HOME", config.path())
            .env("ARGOCD_APP_NAME", "metrics")
            .env("ARGOCD_APP_NAMESPACE", "monitoring")
            .env("ARGOCD_ENV_HELM_ARGS", "--version 3.8.0")
            .output()
            .unwrap()
    };
    let init = run(&argv("init"));
    assert!(init.status.success(), "{init:?}");
    assert!(init.stdout.is_empty(), "init's output is not manifests");
    let generated = run(&argv("generate"));
    assert!(generated.status.success(), "{generated:?}");
    assert_eq!(String::from_utf8(generated.stdout).unwrap(), expected());
    let log = std::fs::read_to_string(tools.path().join("helm.log")).unwrap();
    assert_eq!(
        log,
        "dependency build\ntemplate metrics . --namespace monitoring --version 3.8.0\n"
    );

    // When helm fails, generate fails: Argo CD keeps the last good manifests.
    std::fs::write(
        &helm,
        "#!/bin/sh\necho 'Error: chart is broken' >&2\nexit 1\n",
    )
    .unwrap();
    let failed = run(&argv("generate"));
    assert!(!failed.status.success(), "{failed:?}");

    // A folder without Chart.yaml is a kustomization: `kustomize build .` feeds the render.
    std::fs::remove_file(app.path().join("Chart.yaml")).unwrap();
    let kustomize = tools.path().join("kustomize");
    std::fs::write(
        &kustomize,
        format!(
            "#!/bin/sh
[ \"$*\" = \"build .\" ] || exit 9
cat {}
",
            chart().join("manifests.yaml").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &kustomize,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    assert!(run(&argv("init")).status.success());
    let built = run(&argv("generate"));
    assert!(built.status.success(), "{built:?}");
    assert_eq!(String::from_utf8(built.stdout).unwrap(), expected());
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

fn which(program: &str) -> Result<PathBuf, ()> {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.is_file())
        .ok_or(())
}

#[test]
fn a_stream_that_starts_with_an_empty_document_is_still_read_as_yaml() {
    // A template that renders only comments still gets its `---` and `# Source:` line.
    let dir = project();
    let empty = "---\n# Source: prometheus-pushgateway/templates/extra-manifests.yaml\n";
    let stream = format!(
        "{empty}{}",
        std::fs::read_to_string(chart().join("manifests.yaml")).unwrap()
    );
    let output = secretmask()
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("xdg"))
        .arg("render")
        .write_stdin(stream)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("{empty}{}", expected())
    );
}
