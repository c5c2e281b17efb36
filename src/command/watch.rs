//! `secretmask render --watch`: render once, then ask the stores every interval for each
//! secret's fingerprint (its current version, never its value) and render again when one
//! changed. A re-render is a full render, all or nothing; one that fails keeps the last good
//! outputs and the watch goes on, recovering by itself once the stores are right again.

use std::collections::HashMap;
use std::time::Duration;

use super::render::{Job, Rendered, Rendering, render_all};
use super::{Error, runtime};
use crate::diagnostic::{self, plural};
use crate::finding::Severity;
use crate::mask::SecretRef;
use crate::provider::ProviderError;
use crate::render::Plan;

/// How a watch checks and what it runs on a change.
#[derive(Clone, Debug)]
pub struct WatchOptions {
    /// Between two checks (`--interval`).
    pub interval: Duration,
    /// Each check waits a further random delay up to this (`--splay`), so many watchers do
    /// not ask the stores at the same moment.
    pub splay: Duration,
    /// Run through `sh -c` after each re-render that replaced an output (`--on-change`).
    pub on_change: Option<String>,
    /// The longest `--on-change` may run before it is killed.
    pub on_change_timeout: Duration,
}

/// The watch: the first render as `render` does it (its failure exits as render's), then the
/// loop, which only a signal ends (SIGINT, SIGTERM, SIGHUP, SIGQUIT: staged files are removed
/// and the exit status is 128 + the signal's number).
pub(super) fn run(
    rendering: &Rendering,
    watch: &WatchOptions,
    jobs: &mut [Job],
) -> Result<i32, Error> {
    let resolver = super::resolver_for_watch(&rendering.loaded, &rendering.store)?;
    let runtime = runtime()?;
    let syntaxes = super::looked_up(
        rendering.syntaxes.clone(),
        jobs.iter().map(|job| job.bytes.as_slice()),
        &resolver,
        &runtime,
    );
    let secrets: Vec<SecretRef> = {
        let mut all: Vec<SecretRef> = jobs
            .iter()
            .flat_map(|job| {
                Plan::read(&job.bytes, job.format, &syntaxes)
                    .masks()
                    .map(|m| SecretRef::clone(&m.secret))
                    .collect::<Vec<_>>()
            })
            .collect();
        all.sort();
        all.dedup();
        all
    };
    // Fingerprints before the first render: a rotation between the two is seen at the next
    // check (at worst one render too many, never one too few).
    let mut known = runtime.block_on(resolver.fingerprints(&secrets));
    let mut digests = match render_all(rendering, jobs, &resolver, Some(&runtime), None)? {
        Rendered::Written(digests) => digests,
        other => return Ok(other.code()),
    };
    tracing::info!(
        "watch: {} every {}",
        plural(secrets.len(), "secret"),
        humantime::format_duration(watch.interval)
    );
    let mut unchecked: HashMap<SecretRef, String> = HashMap::new();
    loop {
        std::thread::sleep(watch.interval + splay(watch.splay));
        let now = runtime.block_on(resolver.fingerprints(&secrets));
        tracing::debug!("watch: checked {}", plural(secrets.len(), "secret"));
        report_unchecked(&now, &mut unchecked);
        let changed = changed(&secrets, &now, &known);
        if changed.is_empty() {
            continue;
        }
        tracing::info!("watch: {} changed", plural(changed.len(), "secret"));
        if let Err((secret, error)) = refetch(&resolver, &runtime, &changed) {
            warn(&format!(
                "secret `{secret}` changed but could not be read again: {error}; the outputs keep their last good content and the watch goes on"
            ));
            continue;
        }
        match render_all(rendering, jobs, &resolver, Some(&runtime), Some(&digests))? {
            Rendered::Written(new) => {
                digests = new;
                known = now;
                if let Some(command) = &watch.on_change {
                    on_change(command, watch.on_change_timeout);
                }
            }
            Rendered::Unchanged => known = now,
            Rendered::Failed => warn(
                "the outputs keep their last good content; the watch goes on and renders again when a secret changes",
            ),
        }
    }
}

/// Each secret's fingerprint, or why it could not be had.
pub(super) type Fingerprints = HashMap<SecretRef, Result<String, ProviderError>>;

/// The secrets whose fingerprint is new since `known`: changed, or answered now where it
/// could not be checked then. One that cannot be checked now has not changed.
/// Fetches again the secrets that changed, at once (the rest stay cached): the first that
/// could not be read, with why.
pub(super) fn refetch<'a>(
    resolver: &crate::Resolver,
    runtime: &tokio::runtime::Runtime,
    changed: &[&'a SecretRef],
) -> Result<(), (&'a SecretRef, ProviderError)> {
    let refreshed = runtime.block_on(futures::future::join_all(
        changed.iter().map(|s| resolver.refresh(s)),
    ));
    changed
        .iter()
        .zip(refreshed)
        .find_map(|(s, r)| r.err().map(|e| (*s, e)))
        .map_or(Ok(()), Err)
}

pub(super) fn changed<'a>(
    secrets: &'a [SecretRef],
    now: &Fingerprints,
    known: &Fingerprints,
) -> Vec<&'a SecretRef> {
    secrets
        .iter()
        .filter(|s| match (&now[*s], &known[*s]) {
            (Ok(now), Ok(before)) => now != before,
            (Ok(_), Err(_)) => true,
            (Err(_), _) => false,
        })
        .collect()
}

/// Says once per secret (until it answers again) that its check failed.
pub(super) fn report_unchecked(now: &Fingerprints, unchecked: &mut HashMap<SecretRef, String>) {
    for (secret, answer) in now {
        match answer {
            Ok(_) => {
                if unchecked.remove(secret).is_some() {
                    tracing::info!("watch: secret `{secret}` can be checked again");
                }
            }
            Err(error) => {
                let message = error.to_string();
                if unchecked.get(secret) != Some(&message) {
                    warn(&format!(
                        "cannot check secret `{secret}` for a new version: {message}; the watch goes on"
                    ));
                    unchecked.insert(secret.clone(), message);
                }
            }
        }
    }
}

pub(super) fn warn(message: &str) {
    let _ = diagnostic::write_message(&mut anstream::stderr().lock(), Severity::Warning, message);
}

/// A random delay up to `most`: the clock's nanoseconds and the process id are random enough to
/// keep watchers started together apart.
fn splay(most: Duration) -> Duration {
    if most.is_zero() {
        return Duration::ZERO;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    let seed = u64::from(nanos) ^ (u64::from(std::process::id()) << 20);
    let seed = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    most.mul_f64((seed >> 11) as f64 / (1u64 << 53) as f64)
}

/// Runs `--on-change` through `sh -c`, killing it after `timeout`; its failure is reported, not
/// fatal. It gets secretmask's environment, which holds masks, never values.
fn on_change(command: &str, timeout: Duration) {
    let started = std::process::Command::new("sh")
        .args(["-c", command])
        .stdin(std::process::Stdio::null())
        .spawn();
    let mut child = match started {
        Ok(child) => child,
        Err(e) => return warn(&format!("--on-change could not start sh: {e}")),
    };
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return,
            Ok(Some(status)) => {
                return warn(&format!("--on-change failed ({status}); the watch goes on"));
            }
            Ok(None) if std::time::Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return warn(&format!(
                    "--on-change ran longer than {} and was killed; the watch goes on",
                    humantime::format_duration(timeout)
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return warn(&format!("--on-change: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splay_stays_within_its_bound() {
        assert_eq!(splay(Duration::ZERO), Duration::ZERO);
        for _ in 0..100 {
            assert!(splay(Duration::from_secs(3)) < Duration::from_secs(3));
        }
    }
}
