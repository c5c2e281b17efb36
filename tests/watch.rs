//! `secretmask render --watch` on the file store: a change is rendered within two intervals,
//! atomically, with `--on-change` after it; a refresh that fails keeps the last good output and
//! the watch recovers by itself; a signal ends it with no staged file left.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::support::{eventually, secretmask_process};

/// A watch that is killed when the test ends, whatever the outcome.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn a_watch_renders_each_change_keeps_the_last_good_output_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.yaml");
    let output = dir.path().join("app.yaml");
    let changes = dir.path().join("changes.log");
    fs::write(&secrets, "kv/app/db: {password: first}\n").unwrap();
    fs::write(
        dir.path().join("app.yaml.tpl"),
        "password: {{workato:vault:password:kv/app/db}}\nport: {{workato:vault:port:kv/app/db}}\n",
    )
    .unwrap();
    // A key the first version lacks: the first render fails and exits as render does.
    let watching = || {
        let mut command = secretmask_process();
        command
            .current_dir(dir.path())
            .args(["render", "app.yaml.tpl", "-o", "app.yaml"])
            .args(["--secrets-file", "secrets.yaml", "--watch"])
            .args(["--interval", "1s"]);
        command
    };
    let first = watching().output().unwrap();
    assert_eq!(first.status.code(), Some(1));
    assert!(!output.exists());

    fs::write(&secrets, "kv/app/db: {password: first, port: 5432}\n").unwrap();
    let mut watch = Killed(
        watching()
            .args(["--on-change", "echo changed >> changes.log"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert!(eventually(Duration::from_secs(10), || read(&output)
        == "password: first\nport: 5432\n"));
    // Unchanged secrets: no re-render, no --on-change.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(!changes.exists());

    // A rotation is rendered within two intervals, and --on-change runs once after it.
    fs::write(&secrets, "kv/app/db: {password: second, port: 5432}\n").unwrap();
    assert!(eventually(Duration::from_secs(4), || read(&output)
        == "password: second\nport: 5432\n"));
    assert!(eventually(Duration::from_secs(2), || read(&changes) == "changed\n"));

    // A key gone from the new version: the render is refused, the output keeps its last good
    // content, and the watch goes on.
    fs::write(&secrets, "kv/app/db: {password: changed-without-port}\n").unwrap();
    std::thread::sleep(Duration::from_millis(3000));
    assert_eq!(read(&output), "password: second\nport: 5432\n");
    // A broken secrets file: the same.
    fs::write(&secrets, "kv/app/db: {password: \"unclosed\n").unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(read(&output), "password: second\nport: 5432\n");
    // Right again: it recovers by itself.
    fs::write(&secrets, "kv/app/db: {password: third, port: 5433}\n").unwrap();
    assert!(eventually(Duration::from_secs(4), || read(&output)
        == "password: third\nport: 5433\n"));

    unsafe {
        libc::kill(watch.0.id() as i32, libc::SIGTERM);
    }
    let status = watch.0.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::into_raw(status) >> 8,
        143
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(watch.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("the outputs keep their last good content"),
        "{stderr}"
    );
    assert!(stderr.contains("not valid YAML"), "{stderr}");
    for value in ["second", "third", "changed-without-port"] {
        assert!(!stderr.contains(value), "{value} in {stderr}");
    }
    // Nothing staged is left beside the output.
    let names = crate::support::file_names(dir.path());
    assert_eq!(
        names,
        ["app.yaml", "app.yaml.tpl", "changes.log", "secrets.yaml"]
    );
    assert_eq!(read(&changes), "changed\nchanged\n");
}

#[test]
fn a_watch_needs_files_to_replace() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("secrets.yaml"), "kv/a: {k: v}\n").unwrap();
    let output = crate::support::secretmask()
        .current_dir(dir.path())
        .args([
            "render",
            "--watch",
            "--as",
            "yaml",
            "--secrets-file",
            "secrets.yaml",
        ])
        .write_stdin("a: {{workato:vault:k:kv/a}}\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("give -o FILE or --out-dir DIR"), "{stderr}");
    let output = crate::support::secretmask()
        .args(["render", "--interval", "1s"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// Rotations between two checks give one re-render (the check compares the versions it sees,
/// so the ones in between never count), and `--splay` moves each check by a random delay up to
/// its value after the interval. The checks are seen in the debug log, as they happen.
#[test]
fn rotations_between_two_checks_give_one_render_and_splay_spreads_the_checks() {
    use std::io::BufRead;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.yaml");
    let output = dir.path().join("app.txt");
    let changes = dir.path().join("changes.log");
    fs::write(&secrets, "kv/app: {token: v0}\n").unwrap();
    fs::write(
        dir.path().join("app.txt.tpl"),
        "token={{workato:vault:token:kv/app}}\n",
    )
    .unwrap();
    let mut watch = Killed(
        secretmask_process()
            .current_dir(dir.path())
            .env("RUST_LOG", "secretmask=debug")
            .args(["render", "app.txt.tpl", "-o", "app.txt"])
            .args(["--secrets-file", "secrets.yaml", "--watch"])
            .args(["--interval", "1s", "--splay", "1s"])
            .args(["--on-change", "echo changed >> changes.log"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let checks: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let stderr = watch.0.stderr.take().unwrap();
    let seen = checks.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("watch: checked 1 secret") {
                seen.lock().unwrap().push(Instant::now());
            }
        }
    });
    let count = || checks.lock().unwrap().len();
    assert!(eventually(Duration::from_secs(10), || count() >= 1));
    // Right after a check: three rotations, far less than the interval apart.
    let after = count();
    assert!(eventually(Duration::from_secs(5), || count() > after));
    for value in ["v1", "v2", "v3"] {
        fs::write(&secrets, format!("kv/app: {{token: {value}}}\n")).unwrap();
    }
    assert!(eventually(Duration::from_secs(6), || read(&output) == "token=v3\n"));
    // Two more checks: nothing more to render.
    let now = count();
    assert!(eventually(Duration::from_secs(8), || count() >= now + 2));
    assert_eq!(read(&changes), "changed\n");
    // Each gap is the interval and a splay below 1 s, and the splays differ.
    let times = checks.lock().unwrap().clone();
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.len() >= 3, "{gaps:?}");
    for gap in &gaps {
        assert!(
            *gap >= Duration::from_millis(950) && *gap < Duration::from_millis(2300),
            "{gaps:?}"
        );
    }
    let (least, most) = (gaps.iter().min().unwrap(), gaps.iter().max().unwrap());
    assert!(*most - *least > Duration::from_millis(20), "{gaps:?}");
}
