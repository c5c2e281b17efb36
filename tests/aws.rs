//! AWS Secrets Manager through the real SDK against moto on 127.0.0.1, with a proxy in front
//! where a fault or a call count is needed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use secretmask::grammar;
use secretmask::provider::{Providers, Unconfigured};
use secretmask::resolve::{Options, Resolver};
use secretmask::store::aws::{AwsProvider, Settings};

use crate::support::moto::{self, Moto};
use crate::support::proxy::{Fault, Proxy};
use crate::support::secretmask;

/// Every secret value planted here starts with this: it must appear in no error or log.
const CANARY: &str = "CANARY-f3e1";

fn arn(region: &str, name: &str) -> String {
    format!("arn:aws:secretsmanager:{region}:123456789012:secret:{name}")
}

/// The CLI, pointed at `endpoint` through the environment, with canary credentials.
fn cli(endpoint: &str) -> assert_cmd::Command {
    let mut cmd = secretmask();
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", moto::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", moto::SECRET_ACCESS_KEY);
    cmd
}

/// No canary value and no credential in `text`.
fn assert_clean(what: &str, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    for needle in [CANARY, moto::SECRET_ACCESS_KEY] {
        assert!(!text.contains(needle), "{what} holds `{needle}`:\n{text}");
    }
}

#[test]
fn renders_masks_of_three_regions_full_and_partial_arns_and_binary_secrets() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let p = moto::prefix("regions");
    let east = moto.string(
        "us-east-1",
        &format!("{p}/db"),
        r#"{"user":"app","password":"p\"w: #1","port":5432}"#,
        &[],
    );
    moto.string("eu-west-1", &format!("{p}/token"), "whole-string", &[]);
    let binary = moto.binary("ap-southeast-2", &format!("{p}/cert"), b"\x00\x01bin\xff");
    let dir = tempfile::tempdir().unwrap();
    let template = format!(
        "user: {{{{workato:sm:user:{east}}}}}\n\
         password: \"{{{{workato:sm:password:{east}}}}}\"\n\
         port: <<workato:sm:port:{east}>>\n\
         token: {{{{workato:sm::{}}}}}\n\
         cert: '{{{{workato:sm::{binary}}}}}'\n",
        arn("eu-west-1", &format!("{p}/token"))
    );
    std::fs::write(dir.path().join("app.yaml.tpl"), &template).unwrap();
    for log in [None, Some("trace")] {
        let mut cmd = cli(&endpoint);
        if let Some(level) = log {
            cmd.env("RUST_LOG", level);
        }
        let output = cmd
            .current_dir(dir.path())
            .args(["render", "app.yaml.tpl"])
            .output()
            .unwrap();
        assert_clean("stderr", &output.stderr);
        assert!(output.status.success(), "{output:?}");
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            "user: app\npassword: \"p\\\"w: #1\"\nport: 5432\ntoken: whole-string\ncert: 'AAFiaW7/'\n"
        );
    }
}

#[test]
fn every_failure_names_each_mask_and_writes_nothing() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let p = moto::prefix("failures");
    let json = moto.string(
        "us-east-1",
        &format!("{p}/json"),
        &format!(r#"{{"present":"{CANARY}-1"}}"#),
        &[],
    );
    let text = moto.string("us-east-1", &format!("{p}/text"), CANARY, &[]);
    let binary = moto.binary("us-east-1", &format!("{p}/bin"), CANARY.as_bytes());
    let deleted = moto.string(
        "us-east-1",
        &format!("{p}/deleted"),
        &format!(r#"{{"k":"{CANARY}-2"}}"#),
        &[],
    );
    moto.schedule_deletion("us-east-1", &deleted);
    let missing = arn("us-east-1", &format!("{p}/missing-AbCdEf"));
    let dir = tempfile::tempdir().unwrap();
    let template = format!(
        "a: {{{{workato:sm:absent:{json}}}}}\n\
         b: {{{{workato:sm:k:{text}}}}}\n\
         c: {{{{workato:sm:k:{binary}}}}}\n\
         d: {{{{workato:sm:k:{deleted}}}}}\n\
         e: {{{{workato:sm:k:{missing}}}}}\n\
         f: {{{{workato:sm:other:{missing}}}}}\n\
         g: {{{{workato:sm:present:{json}}}}}\n"
    );
    std::fs::write(dir.path().join("app.yaml.tpl"), &template).unwrap();
    std::fs::write(dir.path().join("app.yaml"), "old: target\n").unwrap();
    let output = cli(&endpoint)
        .current_dir(dir.path())
        .args(["render", "app.yaml.tpl", "-o", "app.yaml"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert_clean("stderr", &output.stderr);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        format!(
            "app.yaml.tpl:1:4: error: key `absent` is not in the secret (it has `present`)\n    secret: {json}"
        ),
        format!(
            "app.yaml.tpl:2:4: error: the secret is not a JSON object, so key `k` cannot be selected\n    secret: {text}"
        ),
        format!(
            "app.yaml.tpl:3:4: error: the secret is binary, so key `k` cannot be selected\n    secret: {binary}"
        ),
        format!(
            "app.yaml.tpl:4:4: error: the secret is scheduled for deletion\n    secret: {deleted}"
        ),
        format!("app.yaml.tpl:5:4: error: secret not found\n    secret: {missing}"),
        format!("app.yaml.tpl:6:4: error: secret not found\n    secret: {missing}"),
        "6 masks failed; nothing was written".to_owned(),
    ] {
        assert!(stderr.contains(&expected), "no `{expected}` in:\n{stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.yaml")).unwrap(),
        "old: target\n"
    );
}

/// A template of `secrets * keys` masks over `secrets` JSON secrets in us-east-1.
fn many_secrets(moto: &Moto, p: &str, secrets: usize, keys: usize) -> String {
    let mut template = String::new();
    for s in 0..secrets {
        let value: serde_json::Map<String, serde_json::Value> = (0..keys)
            .map(|k| (format!("k{k}"), format!("{CANARY}-{s}-{k}").into()))
            .collect();
        let arn = moto.string(
            "us-east-1",
            &format!("{p}/s{s}"),
            &serde_json::Value::Object(value).to_string(),
            &[],
        );
        for k in 0..keys {
            template.push_str(&format!("s{s}k{k}: {{{{workato:sm:k{k}:{arn}}}}}\n"));
        }
    }
    template
}

/// What `many_secrets(…, secrets, keys)` renders to: each key's value in place.
fn many_rendered(secrets: usize, keys: usize) -> String {
    (0..secrets)
        .flat_map(|s| (0..keys).map(move |k| format!("s{s}k{k}: {CANARY}-{s}-{k}\n")))
        .collect()
}

/// `many_secrets` from async tests: the seeding client blocks.
async fn seeded(test: &'static str, secrets: usize, keys: usize) -> String {
    tokio::task::spawn_blocking(move || {
        let moto = Moto::new(&moto::endpoint().unwrap());
        many_secrets(&moto, &moto::prefix(test), secrets, keys)
    })
    .await
    .unwrap()
}

fn resolver(endpoint: &str, ttl: Duration) -> Resolver {
    let aws = AwsProvider::new(Settings {
        endpoint_url: Some(endpoint.to_owned()),
        credentials: Some(moto::credentials()),
        ..Settings::default()
    });
    let providers =
        Providers::all(Arc::new(Unconfigured)).with(secretmask::Store::Sm, Arc::new(aws));
    Resolver::new(
        providers,
        &Options {
            ttl,
            ..Options::default()
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_masks_over_a_hundred_secrets_make_five_batch_calls_per_ttl() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let template = seeded("batches", 100, 10).await;
    let candidates = grammar::scan(template.as_bytes());
    let masks: Vec<_> = candidates.iter().map(|c| c.as_ref().unwrap()).collect();
    assert_eq!(masks.len(), 1000);
    let proxy = Proxy::start(&endpoint, Fault::None);
    let ttl = Duration::from_secs(2);
    let resolver = resolver(&proxy.url, ttl);

    let started = Instant::now();
    let values = resolver.resolve(&masks).await;
    assert_eq!(proxy.count("BatchGetSecretValue"), 5);
    assert_eq!(proxy.count("GetSecretValue"), 0);
    for (mask, value) in masks.iter().zip(&values) {
        let value = value.as_ref().unwrap().expose_secret().to_owned();
        assert!(value.ends_with(&format!("-{}", &mask.key[1..])), "{value}");
    }

    // Within the TTL: from the cache.
    proxy.reset();
    resolver.resolve(&masks).await;
    assert!(
        started.elapsed() < ttl,
        "the test machine is too slow for a 2 s TTL"
    );
    assert_eq!(proxy.count("BatchGetSecretValue"), 0);

    // After the TTL: fetched again, in as many batches.
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    proxy.reset();
    resolver.resolve(&masks).await;
    assert_eq!(proxy.count("BatchGetSecretValue"), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_for_one_secret_make_one_call() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let template = seeded("single-flight", 1, 1).await;
    let candidates = grammar::scan(template.as_bytes());
    let mask = candidates[0].as_ref().unwrap().clone();
    let proxy = Proxy::start(&endpoint, Fault::None);
    let resolver = Arc::new(resolver(&proxy.url, Duration::from_secs(300)));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let (resolver, mask) = (resolver.clone(), mask.clone());
            tokio::spawn(async move { resolver.resolve(&[&mask]).await.remove(0).is_ok() })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap());
    }
    assert_eq!(
        proxy.count("GetSecretValue") + proxy.count("BatchGetSecretValue"),
        1
    );
}

#[test]
fn a_denied_batch_call_falls_back_to_one_call_per_secret_once() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let template = many_secrets(&moto, &moto::prefix("deny-batch"), 45, 1);
    let proxy = Proxy::start(&endpoint, Fault::DenyBatch);
    let output = cli(&proxy.url)
        .args(["render", "--as", "yaml"])
        .write_stdin(template)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_clean("stderr", &output.stderr);
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        many_rendered(45, 1)
    );
    // The three batches go out at once; each denied one falls back, and none goes out after.
    assert!((1..=3).contains(&proxy.count("BatchGetSecretValue")));
    assert_eq!(proxy.count("GetSecretValue"), 45);
    proxy.reset();
    let output = cli(&proxy.url)
        .args(["render", "--as", "yaml", "--concurrency", "1"])
        .write_stdin(many_secrets(&moto, &moto::prefix("deny-batch-1"), 45, 1))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        many_rendered(45, 1)
    );
    assert_eq!(
        proxy.count("BatchGetSecretValue"),
        1,
        "one at a time: denied once"
    );
}

/// Batch calls go out in parallel from the first one: nothing waits for a probe.
#[test]
fn batches_go_out_in_parallel_from_the_first_call() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let template = many_secrets(&moto, &moto::prefix("parallel"), 80, 1);
    let proxy = Proxy::start(&endpoint, Fault::Delay(300));
    let output = cli(&proxy.url)
        .args(["render", "--as", "yaml", "--concurrency", "8"])
        .write_stdin(template)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        many_rendered(80, 1)
    );
    assert_eq!(proxy.count("BatchGetSecretValue"), 4);
    assert_eq!(
        proxy.peak_in_flight(),
        4,
        "the four batches of 20 were in flight at once"
    );
}

#[test]
fn the_sdk_retries_carry_a_render_through_throttling() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let template = many_secrets(&moto, &moto::prefix("throttle"), 3, 2);
    let proxy = Proxy::start(&endpoint, Fault::Throttle(2));
    let output = cli(&proxy.url)
        .args(["render", "--as", "yaml"])
        .write_stdin(template)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        many_rendered(3, 2)
    );
    assert_eq!(proxy.count("BatchGetSecretValue"), 3);
}

/// A proxy that drops or stalls: a clear error within `--timeout`, and the target untouched.
fn fails_in_time(fault: Fault, reason: &str) {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let template = many_secrets(&moto, &moto::prefix("faults"), 1, 1);
    let proxy = Proxy::start(&endpoint, fault);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.yaml"), "old: target\n").unwrap();
    let started = Instant::now();
    let output = cli(&proxy.url)
        .current_dir(dir.path())
        .args([
            "render",
            "--as",
            "yaml",
            "-o",
            "app.yaml",
            "--timeout",
            "3s",
        ])
        .write_stdin(template)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_clean("stderr", &output.stderr);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(reason), "no `{reason}` in:\n{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.yaml")).unwrap(),
        "old: target\n"
    );
}

#[test]
fn dropped_connections_fail_clearly() {
    fails_in_time(Fault::Drop, "error: cannot reach the store");
}

#[test]
fn a_decryption_failure_is_named() {
    fails_in_time(
        Fault::Answer("DecryptionFailure"),
        "error: the store could not decrypt the secret: Secrets Manager can't decrypt",
    );
}

#[test]
fn throttling_that_outlasts_the_retries_is_named() {
    fails_in_time(
        Fault::Throttle(usize::MAX),
        "error: throttled by the store, still after the SDK's retries: Rate exceeded",
    );
}

#[test]
fn a_refused_connection_is_named() {
    let Some(_) = moto::endpoint() else {
        return;
    };
    // A port that was free a moment ago: nothing listens there.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let output = cli(&closed)
        .args(["render", "--as", "yaml", "--timeout", "20s"])
        .write_stdin(format!(
            "a: {{{{workato:sm:k:{}}}}}\n",
            arn("us-east-1", "app-AbCdEf")
        ))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error: cannot reach the store"), "{stderr}");
    assert!(stderr.contains("onnection refused"), "{stderr}");
}

#[test]
fn an_answer_from_something_else_says_what_came_back() {
    fails_in_time(
        Fault::BadGatewayEvery(1),
        "error: the store refused the request: HTTP 502: not a Secrets Manager answer (text/html)",
    );
}

#[test]
fn a_stalled_server_fails_within_the_timeout() {
    fails_in_time(Fault::Stall, "error: timed out");
}

#[test]
fn offline_lint_and_the_file_store_make_no_call() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let proxy = Proxy::start(&endpoint, Fault::Stall);
    let dir = tempfile::tempdir().unwrap();
    let locator = arn("us-east-1", "app-AbCdEf");
    std::fs::write(
        dir.path().join("app.yaml.tpl"),
        format!("a: {{{{workato:sm:k:{locator}}}}}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("secrets.yaml"),
        format!("{locator}: {{k: v}}\n"),
    )
    .unwrap();
    cli(&proxy.url)
        .current_dir(dir.path())
        .args(["lint", "app.yaml.tpl"])
        .assert()
        .success();
    cli(&proxy.url)
        .current_dir(dir.path())
        .args(["render", "app.yaml.tpl", "--secrets-file", "secrets.yaml"])
        .assert()
        .success()
        .stdout("a: v\n");
    assert_eq!(
        proxy.count("BatchGetSecretValue") + proxy.count("GetSecretValue"),
        0
    );
}

#[test]
fn online_lint_checks_existence_deletion_keys_and_tags() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let p = moto::prefix("online");
    let tagged = moto.string(
        "us-east-1",
        &format!("{p}/tagged"),
        &format!(r#"{{"password":"{CANARY}"}}"#),
        &[("apono-connector-read", "true"), ("team", "payments")],
    );
    let untagged = moto.string(
        "eu-west-1",
        &format!("{p}/untagged"),
        &format!(r#"{{"password":"{CANARY}"}}"#),
        &[("apono-connector-read", "false")],
    );
    let deleted = moto.string("us-east-1", &format!("{p}/deleted"), CANARY, &[]);
    moto.schedule_deletion("us-east-1", &deleted);
    let missing = arn("us-east-1", &format!("{p}/missing-AbCdEf"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        format!(
            "a: {{{{workato:sm:password:{tagged}}}}}\n\
             b: {{{{workato:sm:passwd:{tagged}}}}}\n\
             c: {{{{workato:sm:password:{untagged}}}}}\n\
             d: {{{{workato:sm::{deleted}}}}}\n\
             e: {{{{workato:sm:k:{missing}}}}}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lint.yaml"),
        "lint:\n  require_tags:\n    sm: {team: payments}\n",
    )
    .unwrap();

    let lint = |args: &[&str]| {
        let output = cli(&endpoint)
            .current_dir(dir.path())
            .args(["lint", "app.yaml", "--online", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert_clean("stdout", &output.stdout);
        assert_clean("stderr", &output.stderr);
        let mut found = crate::support::findings(&output.stdout);
        found.sort();
        found
    };
    assert_eq!(
        lint(&[]),
        [
            "2:key-missing",
            "4:secret-scheduled-for-deletion",
            "5:secret-not-found"
        ]
    );
    assert_eq!(
        lint(&["--profile", "apono"]),
        [
            "2:key-missing",
            "3:missing-required-tag",
            "4:secret-scheduled-for-deletion",
            "5:secret-not-found"
        ]
    );
    assert_eq!(
        lint(&["--config", "lint.yaml"]),
        [
            "2:key-missing",
            "3:missing-required-tag",
            "4:secret-scheduled-for-deletion",
            "5:secret-not-found"
        ]
    );
    // Human output names the tag, never a value.
    let output = cli(&endpoint)
        .current_dir(dir.path())
        .args(["lint", "app.yaml", "--online", "--profile", "apono"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "has tag `apono-connector-read=false`, but --profile apono requires `apono-connector-read=true`"
        ),
        "{stdout}"
    );
}

#[test]
fn endpoint_settings_of_a_discovered_config_need_trust() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let secret = moto.string(
        "us-east-1",
        &format!("{}/trust", moto::prefix("trust")),
        r#"{"k":"v"}"#,
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let xdg = tempfile::tempdir().unwrap();
    let config = dir.path().join(".secretmask.yaml");
    std::fs::write(&config, format!("aws:\n  endpoint_url: {endpoint}\n")).unwrap();
    std::fs::write(
        dir.path().join("app.yaml.tpl"),
        format!("a: {{{{workato:sm:k:{secret}}}}}\n"),
    )
    .unwrap();
    let render = || {
        let mut cmd = secretmask();
        cmd.current_dir(dir.path())
            .env("XDG_CONFIG_HOME", xdg.path())
            .env("AWS_ACCESS_KEY_ID", moto::ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", moto::SECRET_ACCESS_KEY)
            .args(["render", "app.yaml.tpl"]);
        cmd
    };
    let refused = render().output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("`aws.endpoint_url` decides where credentials are sent")
            && stderr.contains("secretmask trust"),
        "{stderr}"
    );
    secretmask()
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", xdg.path())
        .arg("trust")
        .assert()
        .success();
    render().assert().success().stdout("a: v\n");
    // A changed file is not trusted any more.
    std::fs::write(&config, format!("aws:\n  endpoint_url: {endpoint}/\n")).unwrap();
    assert_eq!(render().output().unwrap().status.code(), Some(2));
    // A file named with --config is trusted as it is.
    render()
        .args(["--config", ".secretmask.yaml"])
        .assert()
        .success();
}

#[test]
fn online_lint_reports_denied_and_unavailable_stores() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let template = many_secrets(&moto, &moto::prefix("online-faults"), 1, 1);
    for (fault, rule) in [
        (Fault::Answer("AccessDeniedException"), "access-denied"),
        (Fault::Stall, "store-unavailable"),
    ] {
        let proxy = Proxy::start(&endpoint, fault);
        let output = cli(&proxy.url)
            .args([
                "lint",
                "-",
                "--online",
                "--format",
                "json",
                "--timeout",
                "2s",
            ])
            .write_stdin(template.clone())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert_clean("stdout", &output.stdout);
        assert_clean("stderr", &output.stderr);
        assert_eq!(
            crate::support::findings(&output.stdout),
            [format!("1:{rule}")],
            "{output:?}"
        );
    }
}

#[test]
fn missing_credentials_are_named_without_a_metadata_probe() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let output = secretmask()
        .env("AWS_ENDPOINT_URL", &endpoint)
        .args(["render", "--as", "yaml"])
        .write_stdin(format!(
            "a: {{{{workato:sm:k:{}}}}}\n",
            arn("us-east-1", "app-AbCdEf")
        ))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: no credentials: ")
            && stderr.contains("the default AWS chain found none"),
        "{stderr}"
    );
}

#[test]
fn a_named_profile_supplies_the_credentials() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let secret = moto.string(
        "us-east-1",
        &format!("{}/profile", moto::prefix("profile")),
        r#"{"k":"from-profile"}"#,
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("aws-config"),
        format!(
            "[profile deploy]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            moto::ACCESS_KEY_ID,
            moto::SECRET_ACCESS_KEY
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("config.yaml"), "aws:\n  profile: deploy\n").unwrap();
    let output = secretmask()
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_CONFIG_FILE", dir.path().join("aws-config"))
        .env("RUST_LOG", "trace")
        .args(["render", "--as", "yaml", "--config", "config.yaml"])
        .write_stdin(format!("a: {{{{workato:sm:k:{secret}}}}}\n"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(output.stdout, b"a: from-profile\n");
    assert_clean("stderr", &output.stderr);
}

/// Whatever `RUST_LOG` enables, no credential reaches a log line: the SDK's SigV4 canonical
/// request (the session token) and its resolved identity (the access key id) are logged at
/// levels secretmask caps. See issue 13.
#[test]
fn no_credential_reaches_a_log_line_at_any_level() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let p = moto::prefix("logs");
    let secret = moto.string(
        "us-east-1",
        &format!("{p}/db"),
        &format!(r#"{{"k":"{CANARY}"}}"#),
        &[],
    );
    let (key_id, secret_key, session) = (
        "AKIACANARYLOGKEYID",
        "canary-log-secret-access-key",
        "canary-log-session-token",
    );
    for level in [
        "trace",
        "debug",
        "info",
        "warn",
        "aws_sigv4=trace",
        "aws_smithy_runtime=trace,aws_smithy_runtime::client::orchestrator=trace",
        "hyper=trace,reqwest=trace,h2=trace",
    ] {
        let output = secretmask()
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ACCESS_KEY_ID", key_id)
            .env("AWS_SECRET_ACCESS_KEY", secret_key)
            .env("AWS_SESSION_TOKEN", session)
            .env("RUST_LOG", level)
            .args(["render", "--as", "yaml"])
            .write_stdin(format!("a: x-{{{{workato:sm:k:{secret}}}}}\n"))
            .output()
            .unwrap();
        assert!(output.status.success(), "{level}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        for needle in [key_id, secret_key, session, CANARY] {
            assert!(
                !stderr.contains(needle),
                "RUST_LOG={level}: a log line holds `{needle}`"
            );
        }
    }
}

/// A service holding a Resolver sees a rotated secret after its TTL, at once when it asks for a
/// refresh, and, when told to, keeps serving the last good value while the store is gone.
#[test]
fn a_rotated_secret_is_seen_after_the_ttl_or_on_refresh_and_outlives_an_outage_when_asked() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let p = moto::prefix("rotation");
    let arn = moto.string(
        "us-east-1",
        &format!("{p}/db"),
        r#"{"password":"one"}"#,
        &[],
    );
    let mask = secretmask::Mask::parse(&format!("{{{{workato:sm:password:{arn}}}}}")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ttl = Duration::from_secs(1);
    let build = |url: &str, stale: Option<Duration>| {
        let aws = AwsProvider::new(Settings {
            endpoint_url: Some(url.to_owned()),
            credentials: Some(moto::credentials()),
            timeout: Some(Duration::from_secs(3)),
            ..Settings::default()
        });
        Resolver::new(
            Providers::all(Arc::new(Unconfigured)).with(secretmask::Store::Sm, Arc::new(aws)),
            &Options {
                ttl,
                serve_stale_for: stale,
                ..Options::default()
            },
        )
    };
    let read = |resolver: &Resolver| {
        runtime
            .block_on(resolver.resolve(std::slice::from_ref(&mask)))
            .remove(0)
            .map(|v| v.expose_secret().to_owned())
    };

    let resolver = build(&endpoint, None);
    assert_eq!(read(&resolver).unwrap(), "one");
    moto.rotate("us-east-1", &arn, r#"{"password":"two"}"#);
    assert_eq!(read(&resolver).unwrap(), "one", "cached within the TTL");
    runtime.block_on(resolver.refresh(&mask.secret)).unwrap();
    assert_eq!(read(&resolver).unwrap(), "two", "refreshed at once");
    moto.rotate("us-east-1", &arn, r#"{"password":"three"}"#);
    std::thread::sleep(ttl + Duration::from_millis(200));
    assert_eq!(
        read(&resolver).unwrap(),
        "three",
        "read again after the TTL"
    );

    // The store answers once, then is gone.
    for (stale, expected) in [(Some(Duration::from_secs(60)), true), (None, false)] {
        let gone = Proxy::start(&endpoint, Fault::DropAfter(1));
        let resolver = build(&gone.url, stale);
        assert_eq!(read(&resolver).unwrap(), "three");
        std::thread::sleep(ttl + Duration::from_millis(200));
        match read(&resolver) {
            Ok(value) => {
                assert!(
                    expected,
                    "a value past its TTL was served without serve_stale_for"
                );
                assert_eq!(value, "three");
            }
            Err(error) => {
                assert!(!expected, "the last good value was not served: {error}");
                assert!(
                    matches!(
                        error.kind(),
                        secretmask::ResolveErrorKind::Provider(
                            secretmask::provider::ProviderError::Unreachable { .. }
                                | secretmask::provider::ProviderError::TimedOut { .. }
                        )
                    ),
                    "{error}"
                );
            }
        }
        // A refresh against the gone store fails and keeps what was cached.
        assert!(runtime.block_on(resolver.refresh(&mask.secret)).is_err());
    }
}

#[test]
fn tag_adds_what_apono_needs_to_each_secret_once_and_lists_what_fails() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let p = moto::prefix("tag");
    let value = format!(r#"{{"password":"{CANARY}"}}"#);
    let tagged = moto.string(
        "us-east-1",
        &format!("{p}/tagged"),
        &value,
        &[("apono-connector-read", "true")],
    );
    let wrong = moto.string(
        "eu-west-1",
        &format!("{p}/wrong"),
        &value,
        &[("apono-connector-read", "false"), ("owner", "payments")],
    );
    let bare = moto.string("us-east-1", &format!("{p}/bare"), &value, &[]);
    let missing = arn("us-east-1", &format!("{p}/missing-AbCdEf"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        format!(
            "a: {{{{workato:sm:password:{tagged}}}}}\n\
             b: {{{{workato:sm:password:{wrong}}}}}\n\
             c: {{{{workato:sm:user:{wrong}}}}}\n\
             d: {{{{workato:sm:password:{bare}}}}}\n\
             e: {{{{workato:sm:password:{missing}}}}}\n"
        ),
    )
    .unwrap();
    let tag = |args: &[&str]| {
        let output = cli(&endpoint)
            .current_dir(dir.path())
            .args(["tag", "app.yaml", "--profile", "apono"])
            .args(args)
            .output()
            .unwrap();
        assert_clean("stdout", &output.stdout);
        assert_clean("stderr", &output.stderr);
        output
    };
    let tags_now = || {
        [
            moto.tags("us-east-1", &tagged),
            moto.tags("eu-west-1", &wrong),
            moto.tags("us-east-1", &bare),
        ]
    };
    let before = tags_now();

    // --dry-run lists what would change, and writes nothing.
    let output = tag(&["--dry-run"]);
    assert_eq!(output.status.code(), Some(1), "the missing secret fails");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout,
        format!(
            "would tag sm {wrong}: apono-connector-read=true\n\
             would tag sm {bare}: apono-connector-read=true\n\
             2 secrets would be tagged; 1 already tagged; 1 failed\n"
        )
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "app.yaml:5:4: error: cannot read the secret's tags: secret not found\n    secret: {missing}\n"
        )) && stderr.contains("1 secret could not be read for tags"),
        "{stderr}"
    );
    assert_eq!(tags_now(), before);

    // Without a terminal to ask on, nothing is written without --yes.
    let output = tag(&[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("pass --yes"));
    assert_eq!(tags_now(), before);

    let output = tag(&["--yes"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains(&format!("tagged sm {wrong}\n")), "{stdout}");
    assert!(
        stdout.ends_with("2 secrets tagged; 1 already tagged; 1 failed\n"),
        "{stdout}"
    );
    let apono = ("apono-connector-read".to_owned(), "true".to_owned());
    assert_eq!(
        tags_now(),
        [
            vec![apono.clone()],
            vec![apono.clone(), ("owner".into(), "payments".into())],
            vec![apono],
        ]
    );
    assert_eq!(moto.versions("us-east-1", &bare), 1, "no value was written");

    // Once tagged, a secret is not written again.
    let output = tag(&["--yes"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout, "0 secrets tagged; 3 already tagged; 1 failed\n");
}

/// An untrusted `.secretmask.yaml` may make lint check tags, never make `tag` write them: a tag
/// like Apono's grants an access platform read access to the secret.
#[test]
fn tag_writes_only_the_tags_of_trusted_sources() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let p = moto::prefix("tagtrust");
    let secret = moto.string("us-east-1", &format!("{p}/db"), r#"{"k":"v"}"#, &[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".secretmask.yaml"),
        "lint:\n  require_tags:\n    sm: {apono-connector-read: \"true\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        format!("a: {{{{workato:sm:k:{secret}}}}}\n"),
    )
    .unwrap();
    let xdg = dir.path().join("xdg");
    let tag = || {
        cli(&endpoint)
            .current_dir(dir.path())
            .env("XDG_CONFIG_HOME", &xdg)
            .args(["tag", "app.yaml", "--tag", "team=payments", "--yes"])
            .output()
            .unwrap()
    };
    let output = tag();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("`lint.require_tags` are not written")
            && stderr.contains("secretmask trust"),
        "{stderr}"
    );
    assert_eq!(
        moto.tags("us-east-1", &secret),
        [("team".to_owned(), "payments".to_owned())]
    );
    // Lint still checks them.
    let output = cli(&endpoint)
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", &xdg)
        .args(["lint", "--online", "app.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("apono-connector-read"));

    // Trusted, the file's tags are the user's own.
    cli(&endpoint)
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", &xdg)
        .arg("trust")
        .assert()
        .success();
    let output = tag();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        moto.tags("us-east-1", &secret),
        [
            ("apono-connector-read".to_owned(), "true".to_owned()),
            ("team".to_owned(), "payments".to_owned())
        ]
    );
}

/// A number in a secret lands with its own digits, read back exactly by Python's `json` (which
/// keeps integers of any size): no float round trip, in a value position or inside a string.
#[test]
fn numbers_keep_the_secret_s_digits() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let Some(python) = crate::support::tool("SECRETMASK_TEST_PYTHON") else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let p = moto::prefix("numbers");
    let secret = moto.string(
        "us-east-1",
        &format!("{p}/n"),
        r#"{"big": 12345678901234567890123, "exp": 1e2, "zero": -0, "canary": "CANARY-f3e1"}"#,
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.json.tpl"),
        format!(
            "{{\"big\": {{{{workato:sm:big:{secret}}}}}, \"text\": \"{{{{workato:sm:big:{secret}}}}}\", \"exp\": {{{{workato:sm:exp:{secret}}}}}, \"zero\": {{{{workato:sm:zero:{secret}}}}}}}\n"
        ),
    )
    .unwrap();
    let output = cli(&endpoint)
        .current_dir(dir.path())
        .args(["render", "app.json.tpl", "-o", "app.json"])
        .output()
        .unwrap();
    assert_clean("stderr", &output.stderr);
    assert!(output.status.success(), "{output:?}");
    let read = std::process::Command::new(python)
        .args([
            "-c",
            "import json, sys; d = json.load(open(sys.argv[1])); print(repr(d['big']), repr(d['text']), repr(d['exp']), repr(d['zero']))",
        ])
        .arg(dir.path().join("app.json"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&read.stdout),
        "12345678901234567890123 '12345678901234567890123' 100.0 0\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.json")).unwrap(),
        "{\"big\": 12345678901234567890123, \"text\": \"12345678901234567890123\", \"exp\": 1e2, \"zero\": -0}\n"
    );
}

/// Each credential mistake has one message, said once for every mask of every region, naming
/// the profile or the chain and the fix; never the SDK's internals.
#[test]
fn each_credential_mistake_is_named_with_its_fix() {
    let dir = tempfile::tempdir().unwrap();
    let aws = dir.path().join("aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(aws.join("config"), "[profile deploy]\nregion = us-east-1\n").unwrap();
    std::fs::write(
        dir.path().join("mistyped.yaml"),
        "aws:\n  profile: deplyo\n",
    )
    .unwrap();
    let template = "a: {{workato:sm:k:arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf}}\nb: {{workato:sm:k:arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf}}\nc: {{workato:sm:k:arn:aws:secretsmanager:us-west-2:123456789012:secret:db-AbCdEf}}\n";
    let mistyped =
        "AWS profile `deplyo` (aws.profile) is not defined in ~/.aws/config or ~/.aws/credentials";
    for (config_file, args, expected) in [
        // A mistyped profile, with files that define another.
        (
            Some(aws.join("config")),
            &["--config", "mistyped.yaml"][..],
            mistyped,
        ),
        // The same mistake with no AWS files at all.
        (None, &["--config", "mistyped.yaml"], mistyped),
        // No credentials anywhere.
        (None, &[], "the default AWS chain found none"),
    ] {
        let mut cmd = secretmask();
        if let Some(file) = &config_file {
            cmd.env("AWS_CONFIG_FILE", file);
        }
        let output = cmd
            .current_dir(dir.path())
            .args(["render", "--as", "yaml"])
            .args(args)
            .write_stdin(template)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors: Vec<&str> = stderr.lines().filter(|l| l.contains(": error: ")).collect();
        // The cause in full once, and at every other mask where it was said.
        assert_eq!(errors.len(), 3, "{stderr}");
        assert!(errors[0].contains(expected), "{stderr}");
        for line in &errors[1..] {
            assert!(
                line.ends_with("error: the same failure as at <stdin>:1:4"),
                "{stderr}"
            );
        }
        assert!(!stderr.contains("dispatch failure"), "{stderr}");
        assert!(!stderr.contains("already taken"), "{stderr}");
    }
}

/// `inventory --online` asks `DescribeSecret` once per distinct secret and never for a value:
/// the full ARN of a partial one, tags, dates and the current version; no value at any level.
#[test]
fn inventory_online_describes_each_secret_once_and_fetches_no_value() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let p = moto::prefix("inventory");
    let arn = moto.string(
        "us-east-1",
        &format!("{p}/db"),
        &format!("{{\"password\": \"{CANARY}\"}}"),
        &[("apono-connector-read", "true")],
    );
    let partial = &arn[..arn.len() - 7];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        format!(
            "a: {{{{workato:sm:password:{arn}}}}}\nb: {{{{workato:sm:password:{partial}}}}}\nc: {{{{workato:sm:password:{arn}}}}}\n"
        ),
    )
    .unwrap();
    let proxy = Proxy::start(&endpoint, Fault::None);
    let output = cli(&proxy.url)
        .current_dir(dir.path())
        .env("RUST_LOG", "trace")
        .args(["inventory", "--online", "--format", "json", "app.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_clean("stdout", &output.stdout);
    assert_clean("stderr", &output.stderr);
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let secrets = document["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 1, "{document}");
    assert_eq!(secrets[0]["secret"], arn);
    assert_eq!(secrets[0]["references"].as_array().unwrap().len(), 3);
    let metadata = &secrets[0]["metadata"];
    assert_eq!(metadata["arn"], arn);
    assert_eq!(metadata["name"], format!("{p}/db"));
    assert_eq!(
        metadata["tags"],
        serde_json::json!({"apono-connector-read": "true"})
    );
    assert!(metadata["current_version"].as_str().is_some(), "{metadata}");
    assert!(metadata["created"].as_str().is_some(), "{metadata}");
    assert_eq!(proxy.count("DescribeSecret"), 1);
    assert_eq!(
        proxy.count("GetSecretValue") + proxy.count("BatchGetSecretValue"),
        0
    );
}

/// The figures of README §Reliability: 10,000 masks over 1,000 secrets through a store that is
/// slow or cuts answers, and 50 renders at once through one that cuts every tenth answer.
/// Measurements, not checks (the machine is shared): run by hand with
/// `cargo test --release --test integration aws::figures -- --ignored --nocapture`.
#[test]
#[ignore = "measurements for the README, run by hand"]
fn figures_under_load_and_faults() {
    let Some(endpoint) = moto::endpoint() else {
        return;
    };
    let moto = Moto::new(&endpoint);
    let large = many_secrets(&moto, &moto::prefix("figures-large"), 1000, 10);
    for fault in [
        Fault::None,
        Fault::Delay(200),
        Fault::CutEvery(10),
        Fault::CutEvery(2),
        Fault::Throttle(52),
    ] {
        let name = format!("{fault:?}");
        let proxy = Proxy::start(&endpoint, fault);
        let started = Instant::now();
        let output = cli(&proxy.url)
            .args(["render", "--as", "yaml"])
            .write_stdin(large.clone())
            .output()
            .unwrap();
        assert_clean("stderr", &output.stderr);
        let stderr = String::from_utf8_lossy(&output.stderr);
        println!(
            "10,000 masks, {name}: exit {:?} in {:.2} s, {} calls{}",
            output.status.code(),
            started.elapsed().as_secs_f64(),
            proxy.count("BatchGetSecretValue") + proxy.count("GetSecretValue"),
            stderr
                .lines()
                .last()
                .map(|l| format!(
                    " ({l}; first: {})",
                    stderr.lines().next().unwrap_or_default()
                ))
                .unwrap_or_default()
        );
    }
    let small = many_secrets(&moto, &moto::prefix("figures-small"), 20, 10);
    for fault in [Fault::None, Fault::CutEvery(10)] {
        let name = format!("{fault:?}");
        let proxy = Proxy::start(&endpoint, fault);
        let started = Instant::now();
        let runs: Vec<_> = (0..50)
            .map(|_| {
                let mut child =
                    std::process::Command::new(assert_cmd::cargo::cargo_bin!("secretmask"));
                crate::support::test_env(&mut child);
                child
                    .env("AWS_ENDPOINT_URL", &proxy.url)
                    .env("AWS_ACCESS_KEY_ID", moto::ACCESS_KEY_ID)
                    .env("AWS_SECRET_ACCESS_KEY", moto::SECRET_ACCESS_KEY)
                    .args(["render", "--as", "yaml"])
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null());
                let mut child = child.spawn().unwrap();
                std::io::Write::write_all(&mut child.stdin.take().unwrap(), small.as_bytes())
                    .unwrap();
                (Instant::now(), child)
            })
            .collect();
        let mut times = Vec::new();
        let mut ok = 0;
        for (start, mut child) in runs {
            if child.wait().unwrap().success() {
                ok += 1;
            }
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "50 processes x 200 masks, {name}: {ok}/50 succeeded, all done in {:.2} s, median {:.2} s, slowest {:.2} s",
            started.elapsed().as_secs_f64(),
            times[25],
            times[49]
        );
    }
}
