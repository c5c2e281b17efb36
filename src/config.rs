//! `.secretmask.yaml`: found by walking up from the working directory, or named with `--config`.
//!
//! Every field is optional and unknown keys are an error that names the key and its line, so a
//! typo never silently turns a setting off.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file name looked for in the working directory and its ancestors.
pub const FILE_NAME: &str = ".secretmask.yaml";

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The `file` store: a YAML file of secrets; when set, no network is touched.
    pub secrets_file: Option<PathBuf>,
    #[serde(default)]
    pub render: RenderConfig,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RenderConfig {
    /// Octal permission bits for new output files, as `"0600"`.
    pub mode: Option<String>,
}

/// A configuration and where it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub config: Config,
    /// The file it was read from; `None` when there was none.
    pub path: Option<PathBuf>,
    /// Whether the user named the file (`--config`) rather than it being discovered.
    pub explicit: bool,
}

impl Loaded {
    /// `secrets_file`, relative to the configuration file's folder.
    pub fn secrets_file(&self) -> Option<PathBuf> {
        let file = self.config.secrets_file.as_ref()?;
        let base = self
            .path
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new(""));
        Some(base.join(file))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
    },
}

/// Loads `explicit` if given, else the nearest `.secretmask.yaml` from `start` upwards, else
/// the defaults.
pub fn load(explicit: Option<&Path>, start: &Path) -> Result<Loaded, ConfigError> {
    let (path, is_explicit) = match explicit {
        Some(path) => (Some(path.to_path_buf()), true),
        None => (discover(start), false),
    };
    let Some(path) = path else {
        return Ok(Loaded::default());
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    let config = parse(&text).map_err(|(line, column, message)| ConfigError::Invalid {
        path: path.clone(),
        line,
        column,
        message,
    })?;
    Ok(Loaded {
        config,
        path: Some(path),
        explicit: is_explicit,
    })
}

/// The nearest `.secretmask.yaml` in `start` or an ancestor.
pub fn discover(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Parses a configuration; an error comes with its 1-based line and column.
pub fn parse(text: &str) -> Result<Config, (u64, u64, String)> {
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        (line, column, first_line(&e.to_string()))
    })
}

/// serde-saphyr renders a snippet under its message; the location is reported separately.
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_the_key_and_its_line() {
        let (line, _, message) = parse("secrets_file: s.yaml\nsecret_file: x\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(message.contains("secret_file"), "{message}");
    }

    #[test]
    fn secrets_file_is_relative_to_the_config() {
        let loaded = Loaded {
            config: parse("secrets_file: secrets.yaml\n").unwrap(),
            path: Some(PathBuf::from("examples/secretmask.yaml")),
            explicit: true,
        };
        assert_eq!(
            loaded.secrets_file(),
            Some(PathBuf::from("examples/secrets.yaml"))
        );
    }
}
