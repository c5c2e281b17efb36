//! The config formats users really have, rendered end to end by the command line and read back
//! by the programs that consume them: a value lands as exactly itself or the render is refused
//! and nothing is written (`tests/readers.rs` proves every context with arbitrary values; these
//! pin the cases users meet, from the command line).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::{root, secretmask, tool};

const CANARY: &str = "CANARY-f0rmat5-NEVER-PRINTED";

/// A secrets file with hostile values (YAML double-quoted, so escapes are YAML's).
fn secrets(dir: &Path) -> PathBuf {
    let path = dir.join("secrets.yaml");
    fs::write(
        &path,
        format!(
            "kv/app:\n  \
             newline: \"pa55\\nadmin=true\"\n  \
             accent: \"caf\\u00e9 {CANARY}\"\n  \
             backslash: \"ends-with\\\\\"\n  \
             markup: \"a</v><admin>1</admin><v>&<{CANARY}\"\n  \
             template: \"${{file(\\\"/etc/passwd\\\")}}-%{{if}}\"\n  \
             percent: \"50%off\"\n  \
             cdata_end: \"x]]>y\"\n  \
             plain: \"s3cr3t-{CANARY}\"\n"
        ),
    )
    .unwrap();
    path
}

fn render(dir: &Path, name: &str, template: &str, extra: &[&str]) -> (Output, PathBuf) {
    let tpl = dir.join(format!("{name}.tpl"));
    fs::write(&tpl, template).unwrap();
    let out = dir.join(name);
    let _ = fs::remove_file(&out);
    let output = secretmask()
        .arg("render")
        .arg(&tpl)
        .arg("-o")
        .arg(&out)
        .arg("--secrets-file")
        .arg(secrets(dir))
        .args(extra)
        .output()
        .unwrap();
    for stream in [&output.stdout, &output.stderr] {
        assert!(
            !String::from_utf8_lossy(stream).contains(CANARY),
            "canary leaked"
        );
    }
    (output, out)
}

fn ok(output: &Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn refused(output: &Output, out: &Path, why: &str) {
    assert_eq!(output.status.code(), Some(1));
    assert!(!out.exists(), "a refused render wrote {}", out.display());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(why), "{stderr}");
}

/// What `java Readers.java KIND` reads of `path`.
fn java(kind: &str, path: &Path) -> Option<serde_json::Value> {
    let java = tool("SECRETMASK_TEST_JAVA")?;
    let mut child = Command::new(java)
        .arg(root().join("tests/readers/Readers.java"))
        .arg(kind)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "{}", path.display()).unwrap();
    let output = child.wait_with_output().unwrap();
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    Some(line["value"].clone())
}

/// What a Python snippet prints for `path` (its `sys.argv[1]`).
fn python(code: &str, path: &Path) -> Option<String> {
    let python = tool("SECRETMASK_TEST_PYTHON")?;
    let output = Command::new(python)
        .args(["-c", code])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8(output.stdout).unwrap())
}

#[test]
fn a_properties_value_is_one_property_in_both_java_loads() {
    let dir = tempfile::tempdir().unwrap();
    let (output, out) = render(
        dir.path(),
        "application.properties",
        "# database\n\
         db.password={{workato:vault:newline:kv/app}}\n\
         db.name={{workato:vault:accent:kv/app}}\n\
         db.path={{workato:vault:backslash:kv/app}}\n\
         db.user=app\n",
        &[],
    );
    ok(&output);
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.is_ascii(), "{text}");
    let Some(read) = java("properties", &out) else {
        return;
    };
    let want = serde_json::json!({
        "db.password": "pa55\nadmin=true",
        "db.name": format!("café {CANARY}"),
        "db.path": "ends-with\\",
        "db.user": "app",
    });
    assert_eq!(read["stream"], want);
    assert_eq!(read["reader"], want);
}

#[test]
fn an_xml_value_is_text_and_never_an_element() {
    let dir = tempfile::tempdir().unwrap();
    let (output, out) = render(
        dir.path(),
        "settings.xml",
        "<settings>\n  <servers>\n    <server id=\"{{workato:vault:markup:kv/app}}\">\n      <password>{{workato:vault:markup:kv/app}}</password>\n      <note><![CDATA[{{workato:vault:plain:kv/app}}]]></note>\n    </server>\n  </servers>\n</settings>\n",
        &[],
    );
    ok(&output);
    let value = format!("a</v><admin>1</admin><v>&<{CANARY}");
    let Some(read) = python(
        "import sys, xml.etree.ElementTree as ET\n\
         r = ET.parse(sys.argv[1]).getroot()\n\
         s = r.find('servers/server')\n\
         print(len(list(r.iter())), s.get('id'), s.find('password').text, s.find('note').text, sep='\\n')",
        &out,
    ) else {
        return;
    };
    assert_eq!(
        read,
        format!("5\n{value}\n{value}\ns3cr3t-{CANARY}\n"),
        "the tree gained or lost elements"
    );
    if let Some(java) = java("xml", &out) {
        let password = &java[0]["children"][1]["children"][1]["children"][1]["children"][0];
        assert_eq!(password, &serde_json::Value::String(value));
    }

    // `]]>` would end a CDATA section; in text it is only characters.
    let (output, out) = render(
        dir.path(),
        "web.config",
        "<configuration><a><![CDATA[{{workato:vault:cdata_end:kv/app}}]]></a></configuration>\n",
        &[],
    );
    refused(&output, &out, "CDATA");
    let (output, _) = render(
        dir.path(),
        "web.config",
        "<configuration><a>{{workato:vault:cdata_end:kv/app}}</a></configuration>\n",
        &[],
    );
    ok(&output);
}

#[test]
fn a_broken_xml_template_is_an_error_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let (output, out) = render(
        dir.path(),
        "app.xml",
        "<a>\n  <b>{{workato:vault:plain:kv/app}}</c>\n</a>\n",
        &[],
    );
    assert_ne!(output.status.code(), Some(0));
    assert!(!out.exists());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("app.xml.tpl:2:"), "{stderr}");
    assert!(stderr.contains("xml"), "{stderr}");
}

#[test]
fn an_ini_value_reads_alike_in_configparser_and_raw_readers_or_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (output, out) = render(
        dir.path(),
        "pip.conf",
        "[global]\nindex-url = https://user:{{workato:vault:plain:kv/app}}@pypi.example/simple\ntimeout = 60\n",
        &[],
    );
    ok(&output);
    if let Some(read) = python(
        "import sys, configparser\n\
         c = configparser.ConfigParser(); c.read(sys.argv[1])\n\
         print(c['global']['index-url'])",
        &out,
    ) {
        assert_eq!(
            read,
            format!("https://user:s3cr3t-{CANARY}@pypi.example/simple\n")
        );
    }
    for (secret, why) in [
        ("percent", "`%`"),
        ("newline", "line break or control character"),
    ] {
        let (output, out) = render(
            dir.path(),
            "setup.cfg",
            &format!("[metadata]\nname = {{{{workato:vault:{secret}:kv/app}}}}\n"),
            &[],
        );
        refused(&output, &out, why);
    }
}

#[test]
fn an_hcl_value_never_becomes_a_template_expression() {
    let dir = tempfile::tempdir().unwrap();
    let (output, out) = render(
        dir.path(),
        "prod.tfvars",
        "db_password = \"{{workato:vault:template:kv/app}}\"\nnote = <<EOT\n{{workato:vault:template:kv/app}}\nEOT\nport = 5432\n",
        &[],
    );
    ok(&output);
    let text = fs::read_to_string(&out).unwrap();
    assert!(
        text.contains(r#"db_password = "$${file(\"/etc/passwd\")}-%%{if}""#),
        "{text}"
    );
    let Some(node_module) = std::env::var_os("SECRETMASK_TEST_HCL2JSON") else {
        assert!(
            !crate::support::tools_required(),
            "SECRETMASK_TEST_HCL2JSON is not set"
        );
        return;
    };
    let mut child = Command::new("node")
        .arg(root().join("tests/readers/hcl2json.js"))
        .arg(node_module)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "{}", out.display()).unwrap();
    let read: serde_json::Value =
        serde_json::from_slice(&child.wait_with_output().unwrap().stdout).unwrap();
    // Terraform's JSON syntax: `$${` and `%%{` are the literal `${` and `%{`.
    assert_eq!(
        read["value"]["db_password"],
        r#"$${file("/etc/passwd")}-%%{if}"#
    );
    assert_eq!(read["value"]["note"], "$${file(\"/etc/passwd\")}-%%{if}\n");
}

#[test]
fn a_file_of_no_known_format_fails_closed_and_names_as() {
    let dir = tempfile::tempdir().unwrap();
    let template = "FROM alpine\nENV PASSWORD={{workato:vault:newline:kv/app}}\n";
    let (output, out) = render(dir.path(), "Dockerfile", template, &[]);
    refused(&output, &out, "--as");
    // A one-line value goes in as it is.
    let (output, _) = render(
        dir.path(),
        "Dockerfile",
        "FROM alpine\nENV PASSWORD={{workato:vault:plain:kv/app}}\n",
        &[],
    );
    ok(&output);
    // `--as text` inserts any value as it is.
    let (output, out) = render(dir.path(), "Dockerfile", template, &["--as", "text"]);
    ok(&output);
    assert_eq!(
        fs::read_to_string(out).unwrap(),
        "FROM alpine\nENV PASSWORD=pa55\nadmin=true\n"
    );
}

#[test]
fn a_yaml_tag_decides_the_type_and_the_value_must_fit_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("tags.yaml"),
        "kv/t:\n  port: \"5432\"\n  word: \"true\"\n",
    )
    .unwrap();
    let render = |template: &str| {
        let tpl = dir.path().join("app.yaml.tpl");
        fs::write(&tpl, template).unwrap();
        secretmask()
            .arg("render")
            .arg(&tpl)
            .arg("--secrets-file")
            .arg(dir.path().join("tags.yaml"))
            .output()
            .unwrap()
    };
    let port = render("port: !!int {{workato:vault:port:kv/t}}\n");
    ok(&port);
    assert_eq!(String::from_utf8_lossy(&port.stdout), "port: !!int 5432\n");
    for template in [
        "port: !!int {{workato:vault:word:kv/t}}\n",
        "port: !!int \"{{workato:vault:word:kv/t}}\"\n",
        "port: !!float {{workato:vault:word:kv/t}}\n",
        "on: !!bool {{workato:vault:port:kv/t}}\n",
    ] {
        let refused = render(template);
        assert_eq!(refused.status.code(), Some(1), "{template}");
        assert!(refused.stdout.is_empty());
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("tag `!!"),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );
    }
}

#[test]
fn a_broken_json_or_toml_template_is_an_error_even_with_plain_values() {
    let dir = tempfile::tempdir().unwrap();
    for (name, template, at) in [
        (
            "app.json",
            "{\"a\": \"{{workato:vault:plain:kv/app}}\",\n}\n",
            "app.json.tpl:2:1",
        ),
        (
            "app.toml",
            "a = \"{{workato:vault:plain:kv/app}}\" junk\n",
            "app.toml.tpl:1:",
        ),
    ] {
        let (output, out) = render(dir.path(), name, template, &[]);
        assert_eq!(output.status.code(), Some(1), "{name}");
        assert!(!out.exists());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(at), "{stderr}");
    }
}

/// One run lists every failure of every input: refusals, values that change a plain scalar's
/// type, a missing key, in two files at once.
#[test]
fn every_failure_of_every_input_is_listed_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("s.yaml"),
        "kv/t:\n  lines: \"a\\nb\"\n  digits: \"23\"\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("one.yaml.tpl"),
        "a: 'x{{workato:vault:lines:kv/t}}'\nb: 1{{workato:vault:digits:kv/t}}\nd: 2{{workato:vault:digits:kv/t}}\ne: {{workato:vault:gone:kv/t}}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("two.yaml.tpl"),
        "c: 3{{workato:vault:digits:kv/t}}\n",
    )
    .unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .args([
            "render",
            "one.yaml.tpl",
            "two.yaml.tpl",
            "--out-dir",
            "out",
            "--secrets-file",
            "s.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for place in [
        "one.yaml.tpl:1:6",
        "one.yaml.tpl:2:5",
        "one.yaml.tpl:3:5",
        "one.yaml.tpl:4:4",
        "two.yaml.tpl:1:5",
    ] {
        assert!(stderr.contains(place), "{place} missing from\n{stderr}");
    }
    assert!(stderr.contains("5 masks failed"), "{stderr}");
    assert!(!dir.path().join("out").join("one.yaml").exists());
}

/// A ConfigMap key that names a file (`config.json: |`) holds a file of that format: the value
/// is escaped for its place in the file, then indented into the block; both layers read back.
#[test]
fn a_file_inside_a_configmap_block_is_rendered_as_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let (output, out) = render(
        dir.path(),
        "configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  config.json: |\n    {\"password\": \"{{workato:vault:newline:kv/app}}\", \"n\": 1}\n  application.properties: |\n    db.password={{workato:vault:newline:kv/app}}\n    db.user=app\n",
        &[],
    );
    ok(&output);
    let Some(inner) = python(
        "import sys, json, yaml\n\
         d = yaml.safe_load(open(sys.argv[1]))['data']\n\
         print(json.dumps(json.loads(d['config.json'])))\n\
         open(sys.argv[1] + '.properties', 'w').write(d['application.properties'])",
        &out,
    ) else {
        return;
    };
    assert_eq!(inner, "{\"password\": \"pa55\\nadmin=true\", \"n\": 1}\n");
    if let Some(read) = java("properties", &out.with_extension("yaml.properties")) {
        assert_eq!(
            read["stream"],
            serde_json::json!({"db.password": "pa55\nadmin=true", "db.user": "app"})
        );
    }
    // A value that would break the JSON inside the block is escaped, never a new key.
    let (output, _) = render(
        dir.path(),
        "configmap.yaml",
        "kind: ConfigMap\ndata:\n  config.json: |\n    {\"a\": \"{{workato:vault:markup:kv/app}}\"}\n",
        &[],
    );
    ok(&output);
}
