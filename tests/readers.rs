//! Rendered output judged by the parsers that consume it, none of them ours: PyYAML (YAML 1.1)
//! and ruamel.yaml (YAML 1.2), Python's json and tomllib, python-dotenv and dotenvy, bash and
//! dash, Java's `java.util.Properties` (both `load`s) and DOM parser, Python's ElementTree,
//! configparser and iniconfig, and HashiCorp's HCL parser (through @cdktf/hcl2json). For every
//! quoting context of every format and for hostile and arbitrary values, either the render is
//! refused or every reader reads back exactly the secret value, with its type.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use secretmask::render::{self, Escape, Format};
use secretmask::resolve::{Kind, Value};

use crate::support::root;

const MASK: &str = "{{workato:vault:v:kv/x}}";
/// What stands where the mask was in the template the readers read for comparison.
const TOKEN: &str = "tokenq7z";

/// A quoting context: a template in which `{{M}}` marks the mask. `typed`: the mask is a whole
/// value whose type the secret decides; `chomp`: it ends a block scalar with that chomping.
struct Case {
    name: &'static str,
    format: Format,
    template: &'static str,
    typed: bool,
    chomp: Option<&'static str>,
    /// The scalar's explicit YAML tag (`int`, `float`, …): the value a reader finds at `a` is
    /// the value converted to that type.
    tag: Option<&'static str>,
}

const fn case(name: &'static str, format: Format, template: &'static str) -> Case {
    Case {
        name,
        format,
        template,
        typed: false,
        chomp: None,
        tag: None,
    }
}

const fn tagged(name: &'static str, template: &'static str, tag: &'static str) -> Case {
    Case {
        tag: Some(tag),
        ..case(name, Format::Yaml, template)
    }
}

const fn typed(name: &'static str, format: Format, template: &'static str) -> Case {
    Case {
        typed: true,
        ..case(name, format, template)
    }
}

const fn chomped(name: &'static str, template: &'static str, chomp: &'static str) -> Case {
    Case {
        chomp: Some(chomp),
        ..case(name, Format::Yaml, template)
    }
}

const CASES: &[Case] = &[
    typed("yaml-plain", Format::Yaml, "a: {{M}}\nz: end\n"),
    tagged("yaml-tag-int", "a: !!int {{M}}\nz: end\n", "int"),
    tagged("yaml-tag-int-quoted", "a: !!int \"{{M}}\"\nz: end\n", "int"),
    tagged("yaml-tag-float", "a: !!float {{M}}\nz: end\n", "float"),
    tagged("yaml-tag-bool", "a: !!bool {{M}}\nz: end\n", "bool"),
    tagged("yaml-tag-null", "a: !!null {{M}}\nz: end\n", "null"),
    tagged("yaml-tag-str", "a: !!str {{M}}\nz: end\n", "str"),
    typed(
        "yaml-plain-flow",
        Format::Yaml,
        "a: [{{M}}, x]\nz: {b: {{M}}}\n",
    ),
    typed("yaml-plain-key", Format::Yaml, "{{M}}: v\nz: end\n"),
    case(
        "yaml-plain-part",
        Format::Yaml,
        "a: pre-{{M}}-post\nz: end\n",
    ),
    case("yaml-double", Format::Yaml, "a: \"pre {{M}} post\"\n"),
    case(
        "yaml-double-lines",
        Format::Yaml,
        "a: \"pre {{M}}\n  post\"\n",
    ),
    case("yaml-single", Format::Yaml, "a: 'pre {{M}} post'\nz: end\n"),
    case(
        "yaml-single-lines",
        Format::Yaml,
        "a: 'pre {{M}}\n  post'\n",
    ),
    case("yaml-double-key", Format::Yaml, "\"{{M}}\": v\nz: end\n"),
    chomped(
        "yaml-literal-indicator",
        "a:\n  b: |2\n      {{M}}\n  z: end\n",
        "clip",
    ),
    chomped(
        "yaml-literal-indicator-in-entry",
        "x:\n- a: |2\n     {{M}}\n  z: end\n",
        "clip",
    ),
    chomped(
        "yaml-literal-clip",
        "a: |\n  head\n  {{M}}\nz: end\n",
        "clip",
    ),
    chomped("yaml-literal-keep", "a: |+\n  {{M}}\nz: end\n", "keep"),
    chomped("yaml-literal-strip", "a: |-\n  {{M}}\nz: end\n", "strip"),
    case(
        "yaml-literal-deeper",
        Format::Yaml,
        "a: |\n  x\n    {{M}} y\n  z\n",
    ),
    case("yaml-folded", Format::Yaml, "a: >\n  {{M}} tail\nz: end\n"),
    case("yaml-comment", Format::Yaml, "a: 1 # {{M}}\nz: end\n"),
    typed(
        "yaml-stream",
        Format::Yaml,
        "---\n# Source: chart/templates/cm.yaml\nkind: ConfigMap\ndata:\n  a: {{M}}\n---\n# Source: chart/templates/secret.yaml\nkind: Secret\nstringData:\n  b: {{M}}\n",
    ),
    case(
        "json-string",
        Format::Json,
        "{\"a\": \"pre {{M}}\", \"z\": 1}",
    ),
    typed("json-bare", Format::Json, "{\"a\": {{M}}, \"z\": 1}"),
    case("json-key", Format::Json, "{\"{{M}}\": 1, \"z\": 2}"),
    case("toml-key", Format::Toml, "\"{{M}}\" = 1\nz = 2\n"),
    case("toml-basic", Format::Toml, "a = \"pre {{M}}\"\nz = 1\n"),
    case(
        "toml-multi-basic",
        Format::Toml,
        "a = \"\"\"{{M}} post\"\"\"\nz = 1\n",
    ),
    case("toml-literal", Format::Toml, "a = 'pre {{M}}'\nz = 1\n"),
    case(
        "toml-multi-literal-open",
        Format::Toml,
        "a = '''{{M}} post'''\nz = 1\n",
    ),
    case(
        "toml-multi-literal",
        Format::Toml,
        "a = '''pre {{M}}x'''\nz = 1\n",
    ),
    typed("toml-bare", Format::Toml, "a = {{M}}\nz = 1\n"),
    case("toml-comment", Format::Toml, "a = 1 # {{M}}\nz = 1\n"),
    case("env-bare", Format::Env, "A={{M}}\nZ=end\n"),
    case("env-double", Format::Env, "A=\"pre {{M}} post\"\nZ=end\n"),
    case("env-single", Format::Env, "A='pre {{M}} post'\nZ=end\n"),
    case("env-comment", Format::Env, "# {{M}}\nA=x\n"),
    case("shell-bare", Format::Shell, "V=pre{{M}}post\n"),
    case("shell-single", Format::Shell, "V='pre {{M}} post'\n"),
    case("shell-double", Format::Shell, "V=\"pre {{M}} post\"\n"),
    case(
        "shell-heredoc",
        Format::Shell,
        "V=$(cat <<EOF\nIt's {{M}} post\nEOF\n)\n",
    ),
    case(
        "shell-heredoc-quoted",
        Format::Shell,
        "V=$(cat <<'EOF'\nIt's {{M}} post\nEOF\n)\n",
    ),
    case(
        "shell-heredoc-strip-tabs-line-start",
        Format::Shell,
        "V=$(cat <<-EOF\n\t{{M}} post\n\tEOF\n)\n",
    ),
    case(
        "shell-heredoc-strip-tabs",
        Format::Shell,
        "V=$(cat <<-EOF\npre\t{{M}} post\nEOF\n)\n",
    ),
    case("shell-param-word", Format::Shell, "V=${UNSET:-a #{{M}}b}\n"),
    case(
        "shell-substitution",
        Format::Shell,
        "V=\"$(printf '%s' \"pre {{M}} post\")\"\n",
    ),
    case("shell-comment", Format::Shell, "V=x # {{M}}\n"),
    case(
        "properties-value",
        Format::Properties,
        "a=pre {{M}} post\nz=end\n",
    ),
    case("properties-start", Format::Properties, "a={{M}}\nz=end\n"),
    case(
        "properties-space-separator",
        Format::Properties,
        "a   {{M}}\nz=end\n",
    ),
    case("properties-key", Format::Properties, "k{{M}}=v\nz=end\n"),
    case(
        "properties-continued",
        Format::Properties,
        "a=x\\\n    {{M}}\\\n  y\nz=end\n",
    ),
    case("properties-comment", Format::Properties, "# {{M}}\na=x\n"),
    case(
        "xml-text",
        Format::Xml,
        "<a>\n  <b>pre {{M}} post</b>\n  <z>end</z>\n</a>\n",
    ),
    case("xml-whole-text", Format::Xml, "<a><b>{{M}}</b></a>\n"),
    case(
        "xml-attribute-double",
        Format::Xml,
        "<a b=\"pre {{M}} post\" z=\"end\"/>\n",
    ),
    case(
        "xml-attribute-single",
        Format::Xml,
        "<a b='pre {{M}} post'/>\n",
    ),
    case(
        "xml-cdata",
        Format::Xml,
        "<a><![CDATA[pre {{M}} post]]></a>\n",
    ),
    case("xml-comment", Format::Xml, "<a><!-- {{M}} --><z/></a>\n"),
    case(
        "ini-value",
        Format::Ini,
        "[s]\na = pre {{M}} post\nz = end\n",
    ),
    case("ini-whole", Format::Ini, "[s]\na = {{M}}\nz = end\n"),
    case("ini-colon", Format::Ini, "[s]\na: {{M}}\nz: end\n"),
    case(
        "ini-continued",
        Format::Ini,
        "[s]\na = x\n  {{M}}\nz = end\n",
    ),
    case("ini-comment", Format::Ini, "[s]\n# {{M}}\na = x\n"),
    case(
        "hcl-quoted",
        Format::Hcl,
        "a = \"pre {{M}} post\"\nz = \"end\"\n",
    ),
    case(
        "hcl-block",
        Format::Hcl,
        "resource \"x\" \"y\" {\n  password = \"{{M}}\"\n}\n",
    ),
    case(
        "hcl-heredoc",
        Format::Hcl,
        "a = <<EOT\npre {{M}} post\nEOT\nz = 1\n",
    ),
    case(
        "hcl-heredoc-indented",
        Format::Hcl,
        "a = <<-EOT\n    pre {{M}} post\n    EOT\nz = 1\n",
    ),
    typed("hcl-bare", Format::Hcl, "a = {{M}}\nz = 1\n"),
    case("hcl-comment", Format::Hcl, "a = 1 # {{M}}\nz = 2\n"),
];

/// Values that have broken a reader somewhere: typed-looking strings, indicators, quotes,
/// escapes, line breaks of every kind, expansions and command substitutions.
const HOSTILE: &[&str] = &[
    "007",
    "0o7",
    "0x1F",
    "1_000",
    "1e3",
    ".inf",
    "~",
    "null",
    "true",
    "yes",
    "on",
    "y",
    "N",
    "2001-12-14",
    "<<",
    "=",
    "5432",
    "",
    " ",
    "a: b",
    "a #b",
    "#x",
    "- x",
    "x\u{2029}admin: true",
    "x\u{2028}y",
    "x\u{85}y",
    "x ",
    " x",
    "x\n\n\n",
    "a\nb",
    "\nx",
    "\r\n",
    "x\r",
    "'",
    "''",
    "'''",
    "\"",
    "\"\"\"",
    "\\",
    "\\n",
    "x\\",
    "\\'",
    "C:\\path\\",
    "$HOME",
    "${HOME}",
    "$",
    "$(touch pwned)",
    "`touch pwned`",
    "'; touch pwned; '",
    "\"; touch pwned; \"",
    "EOF",
    "a\nEOF\nb",
    "}",
    "{x}",
    "[x]",
    "*a",
    "&a",
    "!t",
    "%x",
    "@x",
    "|x",
    ">x",
    "?x",
    "\t",
    "x\ty",
    "\u{0}",
    "\u{7f}",
    "\u{feff}",
    "\u{fffe}",
    "\u{9f}",
    "é日本",
    "😀",
    "1979-05-27",
    "nan",
    "inf",
    "e5",
    "1-2",
    "--1",
    "1.",
    "a=b",
    "A=B\nC=D",
    "export X=1",
    "# c",
    "\u{1b}[31m",
    "---",
    "...",
    "x,y",
    ": ",
    "p@ss:w0rd#1",
];

/// Values of other JSON types, as the resolver hands them over (compact JSON text).
const TYPED: &[(&str, Kind)] = &[
    ("5432", Kind::Number),
    ("-1.5", Kind::Number),
    ("100000.0", Kind::Number),
    ("1e-7", Kind::Number),
    ("true", Kind::Bool),
    ("false", Kind::Bool),
    ("null", Kind::Null),
    ("[1,2]", Kind::Array),
    ("{\"a\":1}", Kind::Object),
];

fn python() -> Option<PathBuf> {
    crate::support::tool("SECRETMASK_TEST_PYTHON")
}

/// Arbitrary strings, half of them drawn from the characters that matter to some reader.
fn arbitrary(count: usize) -> Vec<String> {
    let seed: u64 = std::env::var("SECRETMASK_READERS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261202);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    );
    let special = proptest::string::string_regex(
        "[a-z0-9 \\t\\n\\r'\"$`\\\\#:{}\\[\\],&*!|>%@?~=.\\-\u{85}\u{2028}\u{2029}\u{feff}é]{0,12}",
    )
    .unwrap();
    let any = proptest::string::string_regex("\\PC{0,16}").unwrap();
    (0..count)
        .map(|i| {
            let strategy = if i % 2 == 0 { &special } else { &any };
            strategy.new_tree(&mut runner).unwrap().current()
        })
        .collect()
}

/// What one render gave, for the readers to check.
struct Rendered {
    id: String,
    case: &'static Case,
    value: String,
    kind: Kind,
    output: PathBuf,
    template: PathBuf,
}

fn extension(format: Format) -> &'static str {
    format.name()
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::String => "string",
        _ => "other",
    }
}

/// Renders every value into every case; returns what rendered and how many were refused.
fn render_all(dir: &Path, values: &[(String, Kind)]) -> (Vec<Rendered>, usize) {
    let mut rendered = Vec::new();
    let mut refused = 0;
    for (c, case) in CASES.iter().enumerate() {
        let template = case.template.replace("{{M}}", MASK);
        let with_token = dir.join(format!("{}.template", case.name));
        // Where only a typed value fits (JSON, TOML), the token stands as a string.
        let token =
            if case.typed && matches!(case.format, Format::Json | Format::Toml | Format::Hcl) {
                format!("\"{TOKEN}\"")
            } else {
                TOKEN.to_owned()
            };
        std::fs::write(&with_token, case.template.replace("{{M}}", &token)).unwrap();
        let masks: Vec<_> = secretmask::grammar::scan(template.as_bytes())
            .into_iter()
            .map(|m| m.unwrap())
            .collect();
        for (v, (value, kind)) in values.iter().enumerate() {
            let resolved: Vec<_> = masks
                .iter()
                .map(|_| Ok(Value::new(value.clone().into(), *kind)))
                .collect();
            match render::render(
                template.as_bytes(),
                &masks,
                &resolved,
                case.format,
                Escape::Auto,
            ) {
                Ok(bytes) => {
                    let output = dir.join(format!("{c}-{v}.{}", extension(case.format)));
                    std::fs::write(&output, bytes).unwrap();
                    rendered.push(Rendered {
                        id: format!("{} #{v} {value:?}", case.name),
                        case,
                        value: value.clone(),
                        kind: *kind,
                        output,
                        template: with_token.clone(),
                    });
                }
                Err(_) => refused += 1,
            }
        }
    }
    (rendered, refused)
}

/// dotenvy, in this process: the same check the Python readers make.
fn dotenvy_disagreements(rendered: &[Rendered]) -> Vec<String> {
    let read = |path: &Path| -> Result<Vec<(String, String)>, String> {
        dotenvy::from_path_iter(path)
            .map_err(|e| e.to_string())?
            .map(|item| item.map_err(|e| e.to_string()))
            .collect()
    };
    rendered
        .iter()
        .filter(|r| r.case.format == Format::Env)
        .filter_map(|r| {
            let want: Vec<(String, String)> = read(&r.template)
                .unwrap()
                .into_iter()
                .map(|(k, v)| (k, v.replace(TOKEN, &r.value)))
                .collect();
            let got = read(&r.output);
            (got.as_ref() != Ok(&want))
                .then(|| format!("{} dotenvy: want {want:?}, got {got:?}", r.id))
        })
        .collect()
}

#[test]
fn every_reader_reads_back_exactly_the_value_or_the_render_is_refused() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut values: Vec<(String, Kind)> = HOSTILE
        .iter()
        .map(|v| ((*v).to_owned(), Kind::String))
        .collect();
    values.extend(TYPED.iter().map(|(v, k)| ((*v).to_owned(), *k)));
    // `SECRETMASK_READERS_SEED` and `SECRETMASK_READERS_COUNT` explore further.
    let count = std::env::var("SECRETMASK_READERS_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(96);
    values.extend(arbitrary(count).into_iter().map(|v| (v, Kind::String)));
    let (rendered, refused) = render_all(dir.path(), &values);

    // Each context takes most values: a suite that refused everything would prove nothing.
    for case in CASES {
        let taken = rendered.iter().filter(|r| r.case.name == case.name).count();
        assert!(
            taken * 4 >= values.len()
                || case.format == Format::Env
                || case.name.contains("bare")
                || case.tag.is_some()
                || case.name.contains("param"),
            "{}: only {taken} of {} values rendered",
            case.name,
            values.len()
        );
    }

    let manifest: Vec<serde_json::Value> = rendered
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "format": extension(r.case.format),
                "output": r.output,
                "template": r.template,
                "token": TOKEN,
                "value": r.value,
                "kind": kind_name(r.kind),
                "typed": r.case.typed,
                "chomp": r.case.chomp,
                "tag": r.case.tag,
            })
        })
        .collect();
    let manifest_path = dir.path().join("manifest.json");
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let output = Command::new(python)
        .arg(root().join("tests/readers/check.py"))
        .arg(&manifest_path)
        .arg(&work)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the readers failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut disagreements: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    disagreements.extend(dotenvy_disagreements(&rendered));
    assert!(
        disagreements.is_empty(),
        "{} of {} rendered outputs read back differently ({refused} refused):\n{}",
        disagreements.len(),
        rendered.len(),
        disagreements.join("\n")
    );
}

/// `| jsonParse` (argocd-vault-plugin's): collections whose keys and strings are the hostile
/// and arbitrary values, and whose items are the typed JSON values, placed as whole YAML values
/// (block and flow) and a JSON value. PyYAML, ruamel.yaml and Python's json read exactly the
/// structure Python's json reads in the secret's text.
#[test]
fn json_parse_collections_read_back_as_the_json_the_secret_holds() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut strings: Vec<String> = HOSTILE.iter().map(|v| (*v).to_owned()).collect();
    strings.extend(arbitrary(96));
    let object: serde_json::Map<String, serde_json::Value> = strings
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), serde_json::json!([s, i, {"v": s}])))
        .collect();
    let object = serde_json::Value::Object(object).to_string();
    // The typed values as JSON text, their digits as written.
    let typed: Vec<&str> = TYPED.iter().map(|(text, _)| *text).collect();
    let array = format!("[{}]", typed.join(", "));
    let secrets = serde_json::json!({"secret/app": {"obj": object, "arr": array}});
    // The secrets file is read as YAML, which takes no raw DEL, C1 or other non-printable
    // character: escaped as JSON and YAML both read them.
    let printable: String = secrets
        .to_string()
        .chars()
        .map(|c| match c {
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}' => {
                format!("\\u{:04x}", u32::from(c))
            }
            c => c.to_string(),
        })
        .collect();
    std::fs::write(dir.path().join("secrets.json"), printable).unwrap();
    let obj = "<path:secret/data/app#obj | jsonParse>";
    let arr = "<path:secret/data/app#arr | jsonParse>";
    let templates = [
        (
            "app.yaml",
            format!("a: {obj}\nb:\n  - {arr}\nc: {{x: {arr}, y: [{obj}]}}\n"),
        ),
        ("app.json", format!("{{\"a\": {obj}, \"b\": [{arr}]}}\n")),
    ];
    for (file, template) in &templates {
        std::fs::write(dir.path().join(file), template).unwrap();
        let rendered = Command::new(env!("CARGO_BIN_EXE_secretmask"))
            .current_dir(dir.path())
            .args(["render", file, "-o", &format!("out/{file}")])
            .args(["--syntax", "avp", "--avp-type", "vault"])
            .args(["--secrets-file", "secrets.json"])
            .output()
            .unwrap();
        assert!(rendered.status.success(), "{file}: {rendered:?}");
    }
    let script = r#"
import json, sys, yaml
from ruamel.yaml import YAML
work = sys.argv[1]
secret = json.load(open(f"{work}/secrets.json", encoding="utf-8"))["secret/app"]
obj, arr = json.loads(secret["obj"]), json.loads(secret["arr"])
expected = {
    "app.yaml": {"a": obj, "b": [arr], "c": {"x": arr, "y": [obj]}},
    "app.json": {"a": obj, "b": [arr]},
}
readers = {
    "yaml11": lambda t: yaml.safe_load(t),
    "yaml12": lambda t: YAML(typ="safe", pure=True).load(t),
    "json": json.loads,
}
bad = 0
for file, want in expected.items():
    text = open(f"{work}/out/{file}", encoding="utf-8").read()
    for name in (["yaml11", "yaml12"] if file.endswith("yaml") else ["json"]):
        got = readers[name](text)
        if json.dumps(got, sort_keys=True) != json.dumps(want, sort_keys=True):
            bad += 1
            print(f"{name} read {file} otherwise")
sys.exit(1 if bad else 0)
"#;
    let output = Command::new(python)
        .args(["-c", script])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
