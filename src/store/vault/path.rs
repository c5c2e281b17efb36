//! Vault KV v2 locators: `<mount>/<path>[?version=<n>]`.

use nom::{
    IResult, Parser,
    bytes::complete::take_till,
    character::complete::char,
    combinator::{opt, rest},
    sequence::preceded,
};

use crate::store::locator::*;

/// A Vault KV v2 secret: `<mount>/<path>[?version=<n>]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VaultPath {
    text: String,
    /// Mount and path, without the version query.
    pub path: String,
    /// `?version=N`; `None` is the latest.
    pub version: Option<u64>,
}

/// Each way a locator can break Vault KV v2's rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// Not `<mount>/<path>` with clean segments.
    #[error("invalid Vault path: {fault}")]
    Path {
        /// What is wrong with it.
        fault: PathFault,
    },
    /// A query other than `?version=N`, N from 1.
    #[error("invalid Vault version `{query}`")]
    Version {
        /// The query written.
        query: String,
    },
}

/// What is wrong with a Vault path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathFault {
    /// It starts with `/`.
    #[error("it starts with `/`")]
    LeadingSlash,
    /// It ends with `/`.
    #[error("it ends with `/`")]
    TrailingSlash,
    /// Two `/` in a row.
    #[error("it has an empty segment (`//`)")]
    EmptySegment,
    /// A `.` or `..` segment.
    #[error("`{segment}` segments are not allowed")]
    DotSegment {
        /// The segment.
        segment: String,
    },
    /// A mount with no path under it.
    #[error("it names only the mount `{mount}`; add the secret's path")]
    MountOnly {
        /// The mount.
        mount: String,
    },
    /// A character a path cannot hold.
    #[error("`{ch}` is not allowed")]
    Char {
        /// The character.
        ch: char,
    },
}

impl VaultPath {
    /// Validates `text` as `<mount>/<path>[?version=N]`.
    pub fn parse(text: &str) -> Result<Self, LocatorError> {
        let parsed: IResult<&str, (&str, Option<&str>)> =
            (take_till(|c| c == '?'), opt(preceded(char('?'), rest))).parse(text);
        let Ok((_, (path, query))) = parsed else {
            unreachable!("take_till and opt accept any input")
        };
        let path_err =
            |part: &str, fault| err(span_of(text, part), Fault::Path { fault });
        if path.starts_with('/') {
            return Err(path_err(&path[..1], PathFault::LeadingSlash));
        }
        if path.ends_with('/') {
            return Err(path_err(&path[path.len() - 1..], PathFault::TrailingSlash));
        }
        if let Some(i) = path.find("//") {
            return Err(path_err(&path[i..i + 2], PathFault::EmptySegment));
        }
        for segment in path.split('/') {
            if segment.is_empty() {
                return Err(path_err(segment, PathFault::EmptySegment));
            }
            if segment == "." || segment == ".." {
                return Err(path_err(
                    segment,
                    PathFault::DotSegment {
                        segment: segment.to_owned(),
                    },
                ));
            }
            if let Some((i, ch)) = segment
                .char_indices()
                .find(|&(_, c)| c.is_control() || "#\\{}<>%*".contains(c))
            {
                return Err(path_err(
                    &segment[i..i + ch.len_utf8()],
                    PathFault::Char { ch },
                ));
            }
        }
        if !path.contains('/') {
            return Err(path_err(
                path,
                PathFault::MountOnly {
                    mount: path.to_owned(),
                },
            ));
        }
        let version = match query {
            None => None,
            Some(query) => {
                let version = query
                    .strip_prefix("version=")
                    .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|n| n.parse::<u64>().ok())
                    .filter(|&n| n >= 1);
                match version {
                    Some(n) => Some(n),
                    None => {
                        return Err(err(
                            span_of(text, query),
                            Fault::Version {
                                query: query.to_owned(),
                            },
                        ));
                    }
                }
            }
        };
        Ok(Self {
            text: text.to_owned(),
            path: path.to_owned(),
            version,
        })
    }

    /// The path as written, without the query.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl crate::store::Locator for VaultPath {
    type Fault = Fault;

    fn parse(text: &str) -> Result<Self, LocatorError> {
        VaultPath::parse(text)
    }

    fn as_str(&self) -> &str {
        &self.text
    }

    /// Anything that is neither a URL nor an ARN: a mistyped path is told as a path.
    fn looks_like(text: &str) -> bool {
        !text.contains("://") && !text.starts_with("arn:")
    }

    /// A path with a `/` and no `:` is this store's; a URL under `vault` is told as a URL.
    fn shape(text: &str) -> Option<Shape> {
        if starts_with_ignore_case(text, "https://") || starts_with_ignore_case(text, "http://") {
            return Some(Shape::NoStore {
                what: "a URL, not `<mount>/<path>`",
                under: Under::Own,
            });
        }
        // A path has a `/` and no `:` (so neither a URL nor an ARN).
        (text.contains('/') && !text.contains(':')).then_some(Shape::Own("a Vault path"))
    }

    fn version(&self) -> Option<crate::store::Version<'_>> {
        self.version.map(crate::store::Version::Number)
    }

    fn unversioned(&self) -> Option<Self> {
        self.version.is_some().then(|| Self {
            text: self.path.clone(),
            path: self.path.clone(),
            version: None,
        })
    }

    /// Vault keeps tags (custom metadata) per secret, not per version.
    fn tagged_as(&self) -> Self {
        self.unversioned().unwrap_or_else(|| self.clone())
    }
}
