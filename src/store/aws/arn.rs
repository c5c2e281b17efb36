//! AWS Secrets Manager ARNs: partition, region, account, name and suffix, each checked.

use nom::{IResult, Parser, bytes::complete::tag, character::complete::char, combinator::rest};

use crate::store::locator::*;
use crate::source::Span;

/// An AWS Secrets Manager secret ARN.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arn {
    text: String,
    /// `aws`, `aws-cn`, `aws-us-gov` or an ISO partition.
    pub partition: String,
    /// The region, as `us-east-1`.
    pub region: String,
    /// The 12-digit account id.
    pub account: String,
    /// The secret's name, without the 6-character suffix.
    pub name: String,
    /// The random 6-character suffix AWS appends; `None` for a partial ARN.
    pub suffix: Option<String>,
}

/// Each way an ARN can break Secrets Manager's rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// Not `arn:<partition>:<service>:<region>:<account>:<resource>`.
    #[error(
        "the ARN does not have the form arn:<partition>:secretsmanager:<region>:<account>:secret:<name>"
    )]
    Shape,
    /// An ARN of another service.
    #[error("the ARN names service `{service}`, not `secretsmanager`")]
    Service {
        /// The service named.
        service: String,
    },
    /// A partition AWS does not have.
    #[error("`{partition}` is not an AWS partition")]
    Partition {
        /// The partition named.
        partition: String,
    },
    /// Not a region name.
    #[error("`{region}` is not an AWS region name")]
    Region {
        /// The region named.
        region: String,
    },
    /// A region of another partition.
    #[error("region `{region}` is not in partition `{partition}`")]
    RegionPartition {
        /// The region named.
        region: String,
        /// The partition named.
        partition: String,
        /// The partition the region belongs to.
        expected: &'static str,
    },
    /// An account id that is not 12 digits.
    #[error("account `{account}` is not 12 digits")]
    Account {
        /// The account named.
        account: String,
    },
    /// A resource other than `secret:`.
    #[error("resource type `{resource}` is not `secret`")]
    Resource {
        /// The resource type named.
        resource: String,
    },
    /// A secret name outside Secrets Manager's rules.
    #[error("invalid secret name: {fault}")]
    SecretName {
        /// What is wrong with it.
        fault: NameFault,
    },
    /// A 6-character suffix that is not six letters or digits.
    #[error("`{suffix}` is not a 6-character suffix")]
    Suffix {
        /// The suffix written.
        suffix: String,
    },
}

/// AWS partitions a Secrets Manager ARN can name, with the region prefix each one owns. The
/// commercial `aws` partition owns every region no other partition claims.
const PARTITIONS: [(&str, &[&str]); 7] = [
    ("aws", &[]),
    ("aws-cn", &["cn-"]),
    ("aws-us-gov", &["us-gov-"]),
    ("aws-iso", &["us-iso-"]),
    ("aws-iso-b", &["us-isob-"]),
    ("aws-iso-e", &["eu-isoe-"]),
    ("aws-iso-f", &["us-isof-"]),
];

/// The secret-name length limit AWS documents for `CreateSecret`.
const MAX_SECRET_NAME: usize = 512;

impl Arn {
    /// Validates `text` as a Secrets Manager secret ARN, full or partial.
    pub fn parse(text: &str) -> Result<Self, LocatorError> {
        let whole = Span::new(0, text.len());
        let parsed: IResult<&str, _> = (
            tag("arn:"),
            field,
            char(':'),
            field,
            char(':'),
            field,
            char(':'),
            field,
            char(':'),
            field,
            char(':'),
            rest,
        )
            .parse(text);
        let Ok((_, (_, partition, _, service, _, region, _, account, _, resource, _, name))) =
            parsed
        else {
            return Err(err(whole, Fault::Shape));
        };
        if service != "secretsmanager" {
            return Err(err(
                span_of(text, service),
                Fault::Service {
                    service: service.to_owned(),
                },
            ));
        }
        if !PARTITIONS.iter().any(|(p, _)| *p == partition) {
            return Err(err(
                span_of(text, partition),
                Fault::Partition {
                    partition: partition.to_owned(),
                },
            ));
        };
        if !is_region(region) {
            return Err(err(
                span_of(text, region),
                Fault::Region {
                    region: region.to_owned(),
                },
            ));
        }
        let owner = PARTITIONS
            .iter()
            .find(|(_, prefixes)| prefixes.iter().any(|p| region.starts_with(p)))
            .map_or("aws", |(p, _)| p);
        if owner != partition {
            return Err(err(
                span_of(text, region),
                Fault::RegionPartition {
                    region: region.to_owned(),
                    partition: partition.to_owned(),
                    expected: owner,
                },
            ));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(
                span_of(text, account),
                Fault::Account {
                    account: account.to_owned(),
                },
            ));
        }
        if resource != "secret" {
            return Err(err(
                span_of(text, resource),
                Fault::Resource {
                    resource: resource.to_owned(),
                },
            ));
        }
        let name_span = span_of(text, name);
        let (base, suffix) = split_suffix(name).map_err(|suffix| {
            err(
                span_of(text, suffix),
                Fault::Suffix {
                    suffix: suffix.to_owned(),
                },
            )
        })?;
        check_secret_name(base).map_err(|(at, fault)| {
            let span = at.map_or(name_span, |(i, len)| {
                Span::new(name_span.start + i, name_span.start + i + len)
            });
            err(span, Fault::SecretName { fault })
        })?;
        Ok(Self {
            text: text.to_owned(),
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            name: base.to_owned(),
            suffix: suffix.map(str::to_owned),
        })
    }

    /// Whether the ARN lacks the 6-character suffix AWS adds to a secret's name.
    pub fn is_partial(&self) -> bool {
        self.suffix.is_none()
    }

    /// Whether the two ARNs can name one secret, as AWS matches them: the same partition,
    /// region, account and name, and the same 6-character suffix unless one of them is partial
    /// (a partial ARN names every secret with that name).
    pub fn matches(&self, other: &Arn) -> bool {
        self.partition == other.partition
            && self.region == other.region
            && self.account == other.account
            && self.name == other.name
            && (self.is_partial() || other.is_partial() || self.suffix == other.suffix)
    }

    /// The ARN as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The span of the name inside the ARN text, for the partial-ARN warning.
    pub fn name_span(&self) -> Span {
        let start =
            self.text.len() - self.name.len() - self.suffix.as_ref().map_or(0, |s| s.len() + 1);
        Span::new(start, start + self.name.len())
    }
}

impl crate::store::Locator for Arn {
    type Fault = Fault;

    fn parse(text: &str) -> Result<Self, LocatorError> {
        Arn::parse(text)
    }

    fn as_str(&self) -> &str {
        &self.text
    }

    fn looks_like(text: &str) -> bool {
        text.starts_with("arn:")
    }

    /// A Secrets Manager ARN is this store's; an SSM parameter's is told under every store (it
    /// is the one most often mistaken for a secret's); any other ARN, under the other stores
    /// (under `sm` the ARN check names the service).
    fn shape(text: &str) -> Option<Shape> {
        if !starts_with_ignore_case(text, "arn:") {
            return None;
        }
        let service = text["arn:".len()..].split(':').nth(1)?;
        Some(match service {
            s if s.eq_ignore_ascii_case("secretsmanager") => Shape::Own("a Secrets Manager ARN"),
            s if s.eq_ignore_ascii_case("ssm") => Shape::NoStore {
                what: "an SSM parameter ARN, not a Secrets Manager secret",
                under: Under::Every,
            },
            _ => Shape::NoStore {
                what: "an AWS ARN",
                under: Under::Others,
            },
        })
    }

    fn is_partial(&self) -> bool {
        Arn::is_partial(self)
    }

    fn matches(&self, other: &Self) -> bool {
        Arn::matches(self, other)
    }
}

/// Region names: `us-east-1`, `us-gov-west-1`, `eu-isoe-west-1`: two letters, one or more
/// lowercase words, a number.
/// The partition a region belongs to, if `region` is a region name.
pub fn partition_of(region: &str) -> Option<&'static str> {
    is_region(region).then(|| {
        PARTITIONS
            .iter()
            .find(|(_, prefixes)| prefixes.iter().any(|p| region.starts_with(p)))
            .map_or("aws", |(p, _)| p)
    })
}

fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// Splits AWS's random suffix off a full ARN's name. AWS appends `-` and six letters or digits;
/// it documents that a name ending in a hyphen and six characters is taken for a full ARN, so a
/// six-character tail that is not letters and digits cannot be right either way.
fn split_suffix(name: &str) -> Result<(&str, Option<&str>), &str> {
    match name.rsplit_once('-') {
        Some((base, tail)) if !base.is_empty() && tail.chars().count() == 6 => {
            if tail.bytes().all(|b| b.is_ascii_alphanumeric()) {
                Ok((base, Some(tail)))
            } else {
                Err(tail)
            }
        }
        _ => Ok((name, None)),
    }
}

fn check_secret_name(name: &str) -> Result<(), (FaultAt, NameFault)> {
    if name.is_empty() {
        return Err((None, NameFault::Empty));
    }
    let len = name.chars().count();
    if len > MAX_SECRET_NAME {
        return Err((
            None,
            NameFault::TooLong {
                len,
                max: MAX_SECRET_NAME,
            },
        ));
    }
    // AWS-managed secrets (RDS's `rds!db-<uuid>`, `events!connection/…`) are named by the
    // service as `<service>!…`; `!` is allowed there and nowhere else.
    let managed_prefix = name
        .find('!')
        .filter(|&i| {
            i > 0
                && name[..i]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        .map_or(0, |i| i + 1);
    for (i, c) in name.char_indices().skip_while(|&(i, _)| i < managed_prefix) {
        if !(c.is_ascii_alphanumeric() || "/_+=.@-".contains(c)) {
            return Err((Some((i, c.len_utf8())), NameFault::Char { ch: c }));
        }
    }
    Ok(())
}
