//! `secretmask render`: every mask of every input resolved, escaped and checked before any
//! output is staged, then every output committed.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Error, LineFailure, report_named};
use super::{StoreOptions, load_config, resolver, runtime};
use crate::config;
use crate::diagnostic::{self, plural};
use crate::error::{EXIT_CLEAN, EXIT_FINDINGS};
use crate::finding::Severity;
use crate::input::{self, Input};
use crate::render::{self, Escape, Format, Plan, output};
use crate::resolve::Resolver;

/// `secretmask render`.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// Empty means stdin.
    pub inputs: Vec<Input>,
    /// `-o`: the one output file.
    pub output: Option<PathBuf>,
    /// `--out-dir`: the folder of outputs, relative paths kept.
    pub out_dir: Option<PathBuf>,
    /// `--check`: resolve and verify, write nothing.
    pub check: bool,
    /// `--escape`.
    pub escape: Escape,
    /// `--as`: the format for every output, instead of the output's name.
    pub format: Option<Format>,
    /// `--mode`: permission bits of new output files.
    pub mode: Option<u32>,
    /// Where secrets come from.
    pub store: StoreOptions,
    /// The most one input may hold (`--max-file-size`).
    pub max_file_size: u64,
    /// `--watch`: render again whenever a secret changes.
    pub watch: Option<super::watch::WatchOptions>,
    /// `--syntax`, `--avp-type`.
    pub syntax: super::SyntaxOptions,
}

/// One template and where its rendering goes.
pub(super) struct Job {
    /// How the template is named in messages.
    pub(super) name: String,
    pub(super) bytes: Vec<u8>,
    /// `None`: stdout.
    pub(super) target: Option<PathBuf>,
    /// `None`: no name says it (stdin, a device or a FIFO, to stdout or a device), so the
    /// content tells once scanned.
    pub(super) format: Option<Format>,
    /// What chose the format, for `--verbose`.
    why: &'static str,
}

pub(super) fn run(options: &RenderOptions) -> Result<i32, Error> {
    let (rendering, mut jobs) = Rendering::decide(options)?;
    let Some(watch) = &options.watch else {
        let resolver = resolver(&rendering.loaded, &rendering.store)?;
        return Ok(render_all(&rendering, &mut jobs, &resolver, None, None)?.code());
    };
    super::watch::run(&rendering, watch, &mut jobs)
}

/// What `render` does, decided once from the flags and the configuration before a store is
/// asked anything: every usage rule and every precedence of the command in one place (the
/// stores' own settings are the resolver's, `command::resolver`).
pub(super) struct Rendering {
    /// The configuration found or named.
    pub(super) loaded: crate::config::Loaded,
    /// `--syntax`, else `syntax:` in the configuration, else native masks alone.
    pub(super) syntaxes: crate::syntax::Syntaxes,
    /// `--mode` for every output, else `render.mode` for new ones.
    pub(super) modes: output::Modes,
    /// `--escape`.
    pub(super) escape: Escape,
    /// `--check`: resolve and verify, write nothing.
    pub(super) check: bool,
    /// `--store` options, for the resolver.
    pub(super) store: StoreOptions,
}

impl Rendering {
    /// The decisions, and the templates read with where each goes and as what.
    fn decide(options: &RenderOptions) -> Result<(Self, Vec<Job>), Error> {
        if options.watch.is_some() && options.check {
            return Err(Error::Usage(
                "--watch renders again and again; --check renders once: give one of them".into(),
            ));
        }
        let loaded = load_config(options.store.config.as_deref())?;
        let jobs = render_jobs(options)?;
        if options.watch.is_some()
            && let Some(job) = jobs.iter().find(|job| job.target.is_none())
        {
            return Err(Error::Usage(format!(
                "--watch replaces files when a secret changes: {} would go to stdout, which cannot be replaced; give -o FILE or --out-dir DIR",
                job.name
            )));
        }
        let rendering = Self {
            syntaxes: options.syntax.decide(&loaded.config),
            modes: output::Modes {
                every: options.mode,
                new: loaded.config.render.mode.map(|mode| mode.0),
            },
            escape: options.escape,
            check: options.check,
            store: options.store.clone(),
            loaded,
        };
        Ok((rendering, jobs))
    }
}

/// What one render of every job came to.
pub(super) enum Rendered {
    /// Every output written (or checked); the digest of each file output, in job order.
    Written(Vec<[u8; 32]>),
    /// A re-render whose every output is what the last one wrote: nothing was replaced.
    Unchanged,
    /// Failures were listed on stderr and nothing was written.
    Failed,
}

impl Rendered {
    pub(super) fn code(&self) -> i32 {
        match self {
            Self::Written(_) | Self::Unchanged => EXIT_CLEAN,
            Self::Failed => EXIT_FINDINGS,
        }
    }
}

/// Renders every job: every mask of every input resolved, escaped and checked before any
/// output is committed. With `previous` (a watch's re-render), outputs identical to the last
/// render's are not replaced.
pub(super) fn render_all(
    rendering: &Rendering,
    jobs: &mut [Job],
    resolver: &Resolver,
    shared: Option<&tokio::runtime::Runtime>,
    previous: Option<&[[u8; 32]]>,
) -> Result<Rendered, Error> {
    // Every mask of every input is resolved before anything is written.
    let syntaxes = rendering.syntaxes.clone();
    // A watch's runtime, or one for this render: a store's clients keep their connections on
    // the runtime they were first used on, so one serves every call of a render (a name's
    // lookup and the values).
    let mut own = None;
    let names: Vec<(String, String)> = jobs
        .iter()
        .flat_map(|job| syntaxes.aws_names(&job.bytes))
        .collect();
    let syntaxes = if names.is_empty() {
        syntaxes
    } else {
        if shared.is_none() {
            own = Some(runtime()?);
        }
        let runtime = shared.or(own.as_ref()).expect("a runtime was made");
        super::looked_up_names(syntaxes, names, resolver, runtime)
    };
    let plans: Vec<Plan> = jobs
        .iter()
        .map(|job| {
            let plan = Plan::read(&job.bytes, job.format, &syntaxes);
            tracing::info!("render {}: as {} (from {})", job.name, plan.format, job.why);
            plan
        })
        .collect();
    let mut failures: Vec<(usize, LineFailure)> = Vec::new();
    for (j, plan) in plans.iter().enumerate() {
        failures.extend(plan.problems.iter().map(|f| (j, LineFailure::of(f))));
    }
    let count: usize = plans.iter().map(Plan::len).sum();
    // Where each mask stands is found while the stores answer: parsing a large template takes
    // as long as the stores do, and neither needs the other.
    if own.is_none() && shared.is_none() && count > 0 {
        own = Some(runtime()?);
    }
    let runtime = shared.or(own.as_ref());
    let (values, placements) = std::thread::scope(|scope| {
        let placing = scope.spawn(|| {
            jobs.iter_mut()
                .zip(&plans)
                .map(|(job, plan)| plan.place(&mut job.bytes, rendering.escape))
                .collect::<Vec<_>>()
        });
        let values = match runtime {
            Some(runtime) if count > 0 => match plans.as_slice() {
                // One template's masks are resolved as the plan holds them, not gathered again.
                [plan] if plan.data.is_empty() => runtime.block_on(resolver.resolve(&plan.masks)),
                _ => {
                    let all: Vec<&crate::Mask> = plans.iter().flat_map(Plan::masks).collect();
                    runtime.block_on(resolver.resolve(&all))
                }
            },
            _ => Vec::new(),
        };
        (values, placing.join().expect("placing does not panic"))
    });
    let mut values = values.as_slice();
    let modes = rendering.modes;
    if !rendering.check {
        output::clean_up_on_signals();
    }
    // Each output is written as it is rendered: a file into its staged temporary file, stdout
    // into a spool (memory, then a temporary file when large), so a large output is never held
    // whole. Once anything fails nothing will be written, and the rest is rendered only to list
    // every failure; what was staged is removed when dropped.
    let folders = output::NewFolders::guard();
    let mut staged = Vec::new();
    let mut digests = Vec::new();
    let mut to_stdout = Vec::new();
    for (j, ((job, plan), placement)) in jobs.iter_mut().zip(&plans).zip(placements).enumerate() {
        let (mine, rest) = values.split_at(plan.len());
        values = rest;
        let render = |template: &mut Vec<u8>, out: &mut dyn Write| {
            render_into(template, plan, placement, mine, rendering.escape, out)
        };
        let writing = failures.is_empty() && !rendering.check;
        let rendered = match (&job.target, writing) {
            (_, false) => render(&mut job.bytes, &mut std::io::sink()).map_err(Error::Output),
            (Some(target), true) => {
                let mut staging = output::Staging::open(target, modes)?;
                let mut hashing = Hashing::new(staging.writer());
                let rendered =
                    render(&mut job.bytes, &mut hashing).map_err(|source| Error::Io {
                        path: target.clone(),
                        source,
                    })?;
                digests.push(hashing.digest());
                if rendered.is_ok() {
                    staged.push(staging.finish()?);
                }
                Ok(rendered)
            }
            (None, true) => {
                let mut spool = tempfile::spooled_tempfile(SPOOL_IN_MEMORY);
                let rendered = render(&mut job.bytes, &mut spool).map_err(Error::Output)?;
                to_stdout.push(spool);
                Ok(rendered)
            }
        }?;
        if let Err(error) = rendered {
            failures.extend(LineFailure::all(&error).into_iter().map(|f| (j, f)));
        }
    }
    if !failures.is_empty() {
        report_failures(jobs, &failures);
        return Ok(Rendered::Failed);
    }
    if previous.is_some_and(|last| last == digests.as_slice()) && to_stdout.is_empty() {
        // Staged files are removed as they drop: the targets keep their content and times.
        return Ok(Rendered::Unchanged);
    }
    if rendering.check {
        let all: Vec<&crate::Mask> = plans.iter().flat_map(Plan::masks).collect();
        let distinct = Resolver::distinct(&all);
        let mut stdout = anstream::stdout().lock();
        writeln!(
            stdout,
            "ok: {} resolve ({} distinct {}) in {}",
            plural(count, "mask"),
            distinct,
            if distinct == 1 { "secret" } else { "secrets" },
            plural(jobs.len(), "file")
        )
        .map_err(Error::Output)?;
        return Ok(Rendered::Written(digests));
    }
    let chosen = modes.every.or(modes.new);
    if let Some(mode) = chosen.filter(|m| config::Mode(*m).lets_others_write()) {
        let _ = diagnostic::write_message(
            &mut anstream::stderr().lock(),
            Severity::Warning,
            &format!(
                "mode {mode:04o} lets group or others write the rendered files, which hold secrets"
            ),
        );
    }
    // Devices, FIFOs and descriptors first: a write into one cannot be taken back, so it fails
    // while every renamed target is still old (and one that blocks, a FIFO nobody reads, can
    // still be interrupted). Then the renames, which a signal waits for.
    let (streams, files): (Vec<_>, Vec<_>) = staged.into_iter().partition(|file| file.is_stream());
    for stream in streams {
        stream.commit()?;
    }
    let commit = output::committing();
    for file in files {
        file.commit()?;
    }
    drop(commit);
    folders.kept();
    // stdout last, once every file is in place.
    let mut stdout = std::io::stdout().lock();
    for mut spool in to_stdout {
        use std::io::Seek;
        spool
            .seek(std::io::SeekFrom::Start(0))
            .and_then(|_| std::io::copy(&mut spool, &mut stdout))
            .map_err(Error::Output)?;
    }
    stdout.flush().map_err(Error::Output)?;
    Ok(Rendered::Written(digests))
}

/// A writer that keeps the SHA-256 of what went through it: a watch compares outputs by it.
struct Hashing<W> {
    inner: W,
    hasher: sha2::Sha256,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        use sha2::Digest;
        Self {
            inner,
            hasher: sha2::Sha256::new(),
        }
    }

    fn digest(self) -> [u8; 32] {
        use sha2::Digest;
        self.hasher.finalize().into()
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A stdout output stays in memory up to this size, then goes to an unnamed temporary file.
const SPOOL_IN_MEMORY: usize = 16 << 20;

/// Renders `plan` (placed beforehand, unless it has Secret `data`) into `out` through a buffer:
/// the render's own outcome, or the writer's error.
fn render_into(
    template: &mut [u8],
    plan: &Plan,
    placement: Option<Result<render::format::Placement, crate::RenderError>>,
    values: &[Result<crate::Value, crate::ResolveError>],
    escape: Escape,
    out: &mut dyn Write,
) -> std::io::Result<Result<(), crate::RenderError>> {
    let mut buffered = std::io::BufWriter::with_capacity(1 << 20, out);
    let mut sink = render::Sink::new(&mut buffered);
    let rendered = match placement {
        Some(Ok(placement)) => {
            render::plan::render_placed_to(template, plan, placement, values, escape, &mut sink)
        }
        Some(Err(error)) => Err(error),
        None => render::render_plan_to(template, plan, values, escape, &mut sink),
    };
    sink.finish()?;
    Ok(rendered)
}

fn report_failures(jobs: &[Job], failures: &[(usize, LineFailure)]) {
    let named: Vec<(&str, &[u8])> = jobs
        .iter()
        .map(|j| (j.name.as_str(), j.bytes.as_slice()))
        .collect();
    report_named(
        &named,
        failures,
        &format!(
            "{} failed; nothing was written",
            plural(failures.len(), "mask")
        ),
    );
}

/// Whether a path's name says nothing of a format: a device, a FIFO or a descriptor
/// (`/dev/stdout`, `/dev/fd/63` from `<(…)`, `/proc/self/fd/1`).
fn nameless(path: &Path) -> bool {
    path.starts_with("/dev/")
        || path.starts_with("/proc/")
        || std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// A job's format: `--as`; else the output's name; else, when that says nothing (stdout, a
/// device, a FIFO), the input's name; else `None`, for the content to decide once scanned.
/// Why, for `--verbose`.
fn choose_format(
    options: &RenderOptions,
    target: Option<&Path>,
    input: Option<&Path>,
) -> (Option<Format>, &'static str) {
    if let Some(format) = options.format {
        return (Some(format), "--as");
    }
    match (
        target.filter(|t| !nameless(t)),
        input.filter(|i| !nameless(i)),
    ) {
        (Some(target), _) => (Some(Format::from_path(target)), "the output's name"),
        (None, Some(input)) => (Some(Format::from_path(input)), "the input's name"),
        (None, None) => (None, "the content"),
    }
}

fn render_jobs(options: &RenderOptions) -> Result<Vec<Job>, Error> {
    // `-o -` is stdout.
    let output = options.output.as_ref().filter(|o| o.as_os_str() != "-");
    let inputs = if options.inputs.is_empty() {
        vec![Input::Stdin]
    } else {
        options.inputs.clone()
    };
    if output.is_some() && options.out_dir.is_some() {
        return Err(Error::Usage("-o and --out-dir exclude each other".into()));
    }
    let single = inputs.len() == 1
        && match &inputs[0] {
            Input::Stdin => true,
            Input::Path(p) => !p.is_dir(),
        };
    if !single && options.out_dir.is_none() {
        return Err(Error::Usage(
            "several inputs or a directory need --out-dir DIR".into(),
        ));
    }
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        return Err(Error::Usage("stdin (-) can be named once".into()));
    }
    let mut jobs = Vec::new();
    // The file each job was read from, to check the targets against.
    let mut sources = Vec::new();
    for input in &inputs {
        match input {
            Input::Stdin => {
                let target = match (output, &options.out_dir) {
                    (Some(o), _) => Some(o.clone()),
                    (None, Some(_)) => {
                        return Err(Error::Usage(
                            "stdin renders to stdout or -o FILE, not --out-dir".into(),
                        ));
                    }
                    (None, None) => None,
                };
                let (format, why) = choose_format(options, target.as_deref(), None);
                if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                    // A filter waiting silently on a terminal looks hung.
                    super::report_warning(
                        "reading the template from the terminal: type or paste it and end with Ctrl-D, or name a file (`secretmask render app.yaml.tpl`)",
                    );
                }
                jobs.push(Job {
                    name: "<stdin>".into(),
                    bytes: input::read_stdin(options.max_file_size)?,
                    target,
                    format,
                    why,
                });
                sources.push(None);
            }
            Input::Path(path) => {
                for file in input::files(path)? {
                    let target = match (output, &options.out_dir) {
                        (Some(o), _) => Some(o.clone()),
                        (None, Some(dir)) => Some(dir.join(strip_tpl(&file.relative))),
                        (None, None) => None,
                    };
                    let (format, why) = choose_format(options, target.as_deref(), Some(&file.path));
                    jobs.push(Job {
                        name: input::display(&file.path),
                        bytes: input::read(&file.path, options.max_file_size)?,
                        target,
                        format,
                        why,
                    });
                    sources.push(Some(file.path));
                }
            }
        }
    }
    check_targets(&jobs, &sources)?;
    Ok(jobs)
}

/// What a path names, for telling two names of one file apart: the file's device and inode
/// when it exists, else its absolute path with the folder's symlinks resolved.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Identity {
    File(u64, u64),
    Path(PathBuf),
}

fn identity(path: &Path) -> Identity {
    use std::os::unix::fs::MetadataExt;
    if let Ok(m) = std::fs::metadata(path) {
        return Identity::File(m.dev(), m.ino());
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let resolved = match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => dir
            .canonicalize()
            .map_or_else(|_| absolute.clone(), |dir| dir.join(name)),
        _ => absolute,
    };
    Identity::Path(resolved)
}

/// Refuses, before anything is written, an output that is one of the inputs or that two inputs
/// render to: either would lose a file with exit 0.
fn check_targets(jobs: &[Job], sources: &[Option<PathBuf>]) -> Result<(), Error> {
    let mut inputs = std::collections::HashMap::new();
    for source in sources.iter().flatten() {
        inputs.entry(identity(source)).or_insert(source);
    }
    let mut targets: std::collections::HashMap<Identity, (&Path, &str)> =
        std::collections::HashMap::new();
    for job in jobs {
        let Some(target) = job.target.as_deref() else {
            continue;
        };
        // A device (`/dev/stdout`, `/dev/null`) is written into, never replaced.
        if std::fs::metadata(target).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            continue;
        }
        let id = identity(target);
        if let Some(input) = inputs.get(&id) {
            return Err(Error::Usage(format!(
                "the output {} is the input {}; rendering would destroy the template, so nothing was written",
                target.display(),
                input.display()
            )));
        }
        if let Some((_, other)) = targets.insert(id, (target, &job.name)) {
            return Err(Error::Usage(format!(
                "{other} and {} both render to {}; nothing was written",
                job.name,
                target.display()
            )));
        }
    }
    Ok(())
}

/// `app.yaml.tpl` → `app.yaml`.
fn strip_tpl(path: &Path) -> PathBuf {
    match path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".tpl"))
    {
        Some(stem) if !stem.is_empty() => path.with_file_name(stem),
        _ => path.to_path_buf(),
    }
}
