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

impl VaultPath {
    /// Validates `text` as `<mount>/<path>[?version=N]`.
    pub fn parse(text: &str) -> Result<Self, LocatorError> {
        let parsed: IResult<&str, (&str, Option<&str>)> =
            (take_till(|c| c == '?'), opt(preceded(char('?'), rest))).parse(text);
        let Ok((_, (path, query))) = parsed else {
            unreachable!("take_till and opt accept any input")
        };
        let path_err =
            |part: &str, fault| err(span_of(text, part), LocatorErrorKind::VaultPath { fault });
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
                            LocatorErrorKind::VaultVersion {
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

    fn version(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.version.map(|v| v.to_string().into())
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
