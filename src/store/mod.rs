//! The secret stores, each in a folder of its own, and the one list that names them.
//!
//! A store's folder holds everything that is that store's: its locator (what a mask writes
//! after the key, checked against the store's rules), its section of the configuration (the
//! settings, which of them a discovered file may set only once trusted, how two files layer),
//! and its provider (how the store is reached, its metadata, the environment it reads and in
//! which order). The rest of the crate knows stores only through what the `stores!` list
//! makes of them: [`Store`], [`SecretRef`], [`LocatorErrorKind`], the sections of
//! [`crate::config::Config`] and the dispatch below. A new store is a folder implementing
//! [`Locator`] and [`Section`] and its line in that list, besides a lint rule for each of its
//! locator's faults (ARCHITECTURE.md §Stores).

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, Restricted};
use crate::provider::Provider;
use crate::source::Span;

pub mod locator;

pub use self::locator::{LocatorError, NameFault, Shape, Under};

/// A store's locator: the text after a mask's key, parsed and checked by the store's rules.
pub trait Locator: Sized + Clone + Eq {
    /// Each way a locator can break the store's rules: a variant of [`LocatorErrorKind`].
    type Fault: std::error::Error + Clone + PartialEq + Eq + Into<LocatorErrorKind> + 'static;

    /// Checks `text` as this store's locator. Error spans are relative to `text`.
    fn parse(text: &str) -> Result<Self, LocatorError>;

    /// The locator as written.
    fn as_str(&self) -> &str;

    /// Whether `text` has this store's shape, for a locator given without its store
    /// (`inventory --secret`); the first store in the list that claims it parses it.
    fn looks_like(text: &str) -> bool;

    /// What `text` looks like from this store's locators, if it looks like one of them or like
    /// something near them that no store reads (told to a mask of another store, or of this
    /// one, in place of a parse error: `locator::other_shape`).
    fn shape(text: &str) -> Option<Shape> {
        let _ = text;
        None
    }

    /// The version the locator pins, as its store writes versions.
    fn version(&self) -> Option<Version<'_>> {
        None
    }

    /// The same secret without a version pin (what its store keeps whole), if one is pinned.
    fn unversioned(&self) -> Option<Self> {
        None
    }

    /// The locator whose tags this one's are: the locator itself where each version has tags
    /// of its own.
    fn tagged_as(&self) -> Self {
        self.clone()
    }

    /// Whether the locator names its secret only in part (an ARN without its suffix), so it
    /// may [`matches`](Locator::matches) other locators.
    fn is_partial(&self) -> bool {
        false
    }

    /// Whether the secret `self` names is the secret `other` names, the versions dropped.
    fn matches(&self, other: &Self) -> bool {
        self == other
    }
}

/// A version a locator pins, as its store writes versions: printed, never allocated (an
/// inventory prints one per reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version<'a> {
    /// A number (Vault KV v2).
    Number(u64),
    /// An identifier (a Key Vault version's 32 hexadecimal digits).
    Id(&'a str),
}

impl fmt::Display for Version<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Id(id) => f.write_str(id),
        }
    }
}

impl serde::Serialize for Version<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A store's section of the configuration file: its settings as read, with how they layer and
/// which of them need trust; and the provider they build.
pub trait Section: Default {
    /// The settings a discovered file may set only once trusted (`config` lists them all).
    const RESTRICTED: &'static [Restricted];

    /// `self` with every setting `over` sets replaced.
    fn overridden_by(self, over: Self) -> Self;

    /// Makes every path setting absolute with `resolve` (against the file that set it).
    fn resolve_paths(&mut self, resolve: &dyn Fn(&mut PathBuf)) {
        let _ = resolve;
    }

    /// The store's provider from this section and the environment (nothing is reached or read
    /// until a secret is asked for), or the stand-in of a store this build left out. `timeout`
    /// bounds each call.
    fn provider(&self, timeout: Option<Duration>) -> Arc<dyn Provider>;
}

/// Declares the stores: for each, its variant of [`Store`] with its name in a mask and its
/// title, its folder, its variant of [`SecretRef`] with the folder's locator type, its
/// section's field in [`Config`], and the Cargo feature that builds its provider. The list
/// opens with `($)`, the one token a macro cannot write itself, so that it can define
/// `with_sections!` (which adds the sections to `Config`).
macro_rules! stores {
    (($d:tt) $(
        $variant:ident = $name:literal $title:literal,
        pub mod $module:ident, $secret:ident($locator:ty), section $section:ident, feature $feature:literal;
    )*) => {
        $(pub mod $module;)*

        /// Adds each store's section to the configuration struct it is given, as a field named
        /// for the section, so `Config` lists no store itself.
        macro_rules! with_sections {
            ($d(#[$d attribute:meta])* pub struct $d name:ident { $d($d body:tt)* }) => {
                $d(#[$d attribute])*
                pub struct $d name {
                    $d($d body)*
                    $(
                        #[doc = concat!("`", stringify!($section), ":`: how ", $title, " is reached.")]
                        #[serde(default)]
                        pub $section: crate::store::$module::Section,
                    )*
                }
            };
        }
        pub(crate) use with_sections;

        /// The secret stores a mask can name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Store {
            $(
                #[doc = concat!($title, ": `", $name, "`.")]
                $variant,
            )*
        }

        impl Store {
            /// Every store, in the order of the list.
            pub const ALL: [Self; [$(Self::$variant),*].len()] = [$(Self::$variant),*];

            /// The store's name in a mask.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            /// The Cargo feature that builds its provider.
            pub const fn feature(self) -> &'static str {
                match self {
                    $(Self::$variant => $feature,)*
                }
            }
        }

        /// Each way a locator can break its store's rules: each store's own faults, and the
        /// locator of another store.
        #[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
        pub enum LocatorErrorKind {
            $(
                #[doc = concat!("A locator that breaks the rules of ", $title, ".")]
                #[error(transparent)]
                $secret(#[from] <$locator as Locator>::Fault),
            )*
            /// A locator with the shape of another store's, or of something no store reads.
            #[error("{}", locator::other_store(found, *fits))]
            OtherStore {
                /// What the locator looks like (`a Secrets Manager ARN`, `a URL`…).
                found: &'static str,
                /// The store that reads such a locator, if one does.
                fits: Option<Store>,
            },
        }

        /// A secret in a store, without the key: what providers fetch and the cache holds.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum SecretRef {
            $(
                #[doc = concat!("A secret of ", $title, ".")]
                $secret($locator),
            )*
        }

        impl SecretRef {
            fn parse_as(store: Store, locator: &str) -> Result<Self, LocatorError> {
                match store {
                    $(Store::$variant => <$locator as Locator>::parse(locator).map(Self::$secret),)*
                }
            }

            /// The store that holds the secret.
            pub const fn store(&self) -> Store {
                match self {
                    $(Self::$secret(_) => Store::$variant,)*
                }
            }

            /// The locator as written in the mask.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$secret(l) => l.as_str(),)*
                }
            }

            /// The version the locator pins (Vault `?version=N`, a Key Vault version), as its
            /// store writes versions.
            pub fn version(&self) -> Option<Version<'_>> {
                match self {
                    $(Self::$secret(l) => l.version(),)*
                }
            }

            /// The secret the locator names without its version pin: what its store keeps
            /// whole, and what the inventory lists.
            pub fn identity(&self) -> Cow<'_, Self> {
                match self {
                    $(Self::$secret(l) => l.unversioned().map_or(Cow::Borrowed(self), |l| Cow::Owned(Self::$secret(l))),)*
                }
            }

            /// The secret whose tags this locator's tags are. Vault keeps tags (custom
            /// metadata) per secret, so `kv/app/db?version=1` is tagged as `kv/app/db`; a Key
            /// Vault version has tags of its own.
            pub fn tagged_as(&self) -> Self {
                match self {
                    $(Self::$secret(l) => Self::$secret(l.tagged_as()),)*
                }
            }

            /// Whether the locator names its secret only in part (an ARN without its suffix).
            pub fn is_partial(&self) -> bool {
                match self {
                    $(Self::$secret(l) => l.is_partial(),)*
                }
            }

            /// Whether `self` names the secret `other` names: the same store, and the same
            /// secret as the store matches locators (a partial ARN matches the full ARNs its
            /// name begins).
            pub fn matches(&self, other: &Self) -> bool {
                match (self, other) {
                    $((Self::$secret(a), Self::$secret(b)) => a.matches(b),)*
                    #[allow(unreachable_patterns)]
                    _ => false,
                }
            }
        }

        /// Every store's settings that a discovered file may set only once trusted.
        pub(crate) fn restricted() -> impl Iterator<Item = &'static Restricted> {
            [$(<$module::Section as Section>::RESTRICTED),*].into_iter().flatten()
        }

        /// Each store's section of `base` with every setting `over` sets replaced.
        pub(crate) fn override_sections(base: &mut Config, over: &mut Config) {
            $(base.$section = std::mem::take(&mut base.$section).overridden_by(std::mem::take(&mut over.$section));)*
        }

        /// Each store's path settings made absolute with `resolve`.
        pub(crate) fn resolve_paths(config: &mut Config, resolve: &dyn Fn(&mut PathBuf)) {
            $(config.$section.resolve_paths(resolve);)*
        }

        /// `store`'s provider from its section of `config` and the environment.
        pub(crate) fn provider(store: Store, config: &Config, timeout: Option<Duration>) -> Arc<dyn Provider> {
            match store {
                $(Store::$variant => config.$section.provider(timeout),)*
            }
        }

        $(impl $locator {
            /// The locator of `secret`, when the secret is this store's: what a provider asked
            /// for another store's secret answers `ProviderError::NoProvider` for.
            pub fn of(secret: &SecretRef) -> Option<&Self> {
                match secret {
                    SecretRef::$secret(locator) => Some(locator),
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        })*

        /// What `text` looks like to `store`.
        fn shape(store: Store, text: &str) -> Option<Shape> {
            match store {
                $(Store::$variant => <$locator as Locator>::shape(text),)*
            }
        }

        /// Whether `text` has `store`'s locator shape.
        fn looks_like(store: Store, text: &str) -> bool {
            match store {
                $(Store::$variant => <$locator as Locator>::looks_like(text),)*
            }
        }
    };
}

stores! {
    ($)
    Sm = "sm" "AWS Secrets Manager",
        pub mod aws, Aws(aws::Arn), section aws, feature "aws";
    Vault = "vault" "HashiCorp Vault KV v2",
        pub mod vault, Vault(vault::VaultPath), section vault, feature "vault";
    Akv = "akv" "Azure Key Vault",
        pub mod azure, Azure(azure::KeyVaultId), section azure, feature "azure";
}

impl Store {
    /// The store a mask names, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Its place in [`Store::ALL`].
    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// Every store's name, as a sentence lists them: `` `sm`, `vault` or `akv` ``.
    pub fn names() -> String {
        let names: Vec<String> = Self::ALL.iter().map(|s| format!("`{s}`")).collect();
        match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl SecretRef {
    /// Validates `locator` as written for `store`. Error spans are relative to the locator.
    pub fn parse(store: Store, locator: &str) -> Result<Self, LocatorError> {
        if let Some((found, fits)) = locator::other_shape(store, locator) {
            return Err(locator::err(
                Span::new(0, locator.len()),
                LocatorErrorKind::OtherStore { found, fits },
            ));
        }
        Self::parse_as(store, locator)
    }

    /// A locator written without its store (`inventory --secret`), its store known by its
    /// shape: the first store whose locator it looks like.
    pub fn parse_any(text: &str) -> Result<Self, String> {
        let Some(store) = Store::ALL.into_iter().find(|&s| looks_like(s, text)) else {
            return Err(format!(
                "`{text}` is not the locator of any store ({})",
                Store::names()
            ));
        };
        Self::parse(store, text)
            .map_err(|e| format!("`{text}` is not a {store} locator: {}", e.kind))
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::aws::Arn;
    use super::azure::KeyVaultId;
    use super::vault::VaultPath;
    use super::*;

    fn kind(store: Store, text: &str) -> LocatorErrorKind {
        SecretRef::parse(store, text).unwrap_err().kind
    }

    #[test]
    fn full_arn_has_suffix() {
        let arn = Arn::parse(
            "arn:aws:secretsmanager:us-east-1:137149879143:secret:prod-jira-credentials-FsmeTs",
        )
        .unwrap();
        assert_eq!(arn.name, "prod-jira-credentials");
        assert_eq!(arn.suffix.as_deref(), Some("FsmeTs"));
        assert_eq!(arn.name_span(), Span::new(53, 74));
    }

    #[test]
    fn partial_arn_has_no_suffix() {
        let arn =
            Arn::parse("arn:aws:secretsmanager:us-east-1:137149879143:secret:prod/db").unwrap();
        assert!(arn.is_partial());
    }

    #[test]
    fn rds_managed_name_may_hold_a_bang() {
        Arn::parse(
            "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds!db-3f2a7b1c-1d2e-4f5a-9b8c-7d6e5f4a3b2c-AbC123",
        )
        .unwrap();
        assert!(matches!(
            kind(
                Store::Sm,
                "arn:aws:secretsmanager:us-west-2:123456789012:secret:prod/db!x"
            ),
            LocatorErrorKind::Aws(aws::Fault::SecretName {
                fault: NameFault::Char { ch: '!' }
            })
        ));
    }

    #[test]
    fn region_must_belong_to_partition() {
        assert!(matches!(
            kind(
                Store::Sm,
                "arn:aws:secretsmanager:cn-north-1:123456789012:secret:x"
            ),
            LocatorErrorKind::Aws(aws::Fault::RegionPartition {
                expected: "aws-cn",
                ..
            })
        ));
        assert!(matches!(
            kind(
                Store::Sm,
                "arn:aws-us-gov:secretsmanager:us-east-1:123456789012:secret:x"
            ),
            LocatorErrorKind::Aws(aws::Fault::RegionPartition {
                expected: "aws",
                ..
            })
        ));
        Arn::parse("arn:aws-iso-b:secretsmanager:us-isob-east-1:123456789012:secret:x").unwrap();
        Arn::parse("arn:aws-iso-f:secretsmanager:us-isof-south-1:123456789012:secret:x").unwrap();
    }

    #[test]
    fn vault_paths() {
        let path = VaultPath::parse("kv/apono/approle?version=3").unwrap();
        assert_eq!(
            (path.path.as_str(), path.version),
            ("kv/apono/approle", Some(3))
        );
        assert!(matches!(
            kind(Store::Vault, "kv"),
            LocatorErrorKind::Vault(vault::Fault::Path { .. })
        ));
        assert!(matches!(
            kind(Store::Vault, "kv/a?version=0"),
            LocatorErrorKind::Vault(vault::Fault::Version { .. })
        ));
        assert!(matches!(
            kind(Store::Vault, "kv/../b"),
            LocatorErrorKind::Vault(vault::Fault::Path {
                fault: vault::PathFault::DotSegment { .. }
            })
        ));
    }

    #[test]
    fn key_vault_ids() {
        let id = KeyVaultId::parse(
            "https://corp-kv.vault.azure.net/secrets/apono-mysql-user/0123456789abcdef0123456789abcdef",
        )
        .unwrap();
        assert_eq!(id.vault_url(), "https://corp-kv.vault.azure.net");
        assert!(matches!(
            kind(Store::Akv, "https://corp-kv.vault.example.com/secrets/x"),
            LocatorErrorKind::Azure(azure::Fault::Id {
                fault: azure::IdFault::Host { .. }
            })
        ));
        assert!(matches!(
            kind(Store::Akv, "https://k--v.vault.azure.net/secrets/x"),
            LocatorErrorKind::Azure(azure::Fault::Name {
                fault: NameFault::DoubleHyphen,
                ..
            })
        ));
    }

    #[test]
    fn a_locator_without_its_store_is_read_by_the_first_store_it_looks_like() {
        let store = |text| SecretRef::parse_any(text).map(|s| s.store());
        assert_eq!(
            store("arn:aws:secretsmanager:us-east-1:137149879143:secret:x"),
            Ok(Store::Sm)
        );
        assert_eq!(store("kv/app?version=2"), Ok(Store::Vault));
        assert_eq!(
            store("https://corp-kv.vault.azure.net/secrets/tok"),
            Ok(Store::Akv)
        );
        assert!(store("kv").unwrap_err().contains("is not a vault locator"));
        assert!(
            store("ftp://x/y")
                .unwrap_err()
                .contains("is not the locator of any store")
        );
    }

    #[test]
    fn versions_and_identities_are_each_stores_own() {
        let parse = |store, text: &str| SecretRef::parse(store, text).unwrap();
        let pinned = parse(Store::Vault, "kv/app?version=3");
        assert_eq!(pinned.version(), Some(Version::Number(3)));
        assert_eq!(pinned.identity().as_str(), "kv/app");
        assert_eq!(pinned.tagged_as().as_str(), "kv/app");
        let id = "https://corp-kv.vault.azure.net/secrets/tok";
        let version = "0123456789abcdef0123456789abcdef";
        let pinned = parse(Store::Akv, &format!("{id}/{version}"));
        assert_eq!(pinned.version(), Some(Version::Id(version)));
        assert_eq!(pinned.identity().as_str(), id);
        assert_eq!(
            pinned.tagged_as(),
            pinned,
            "a Key Vault version has tags of its own"
        );
        let partial = parse(
            Store::Sm,
            "arn:aws:secretsmanager:us-east-1:137149879143:secret:db",
        );
        let full = parse(
            Store::Sm,
            "arn:aws:secretsmanager:us-east-1:137149879143:secret:db-AbC123",
        );
        assert_eq!(partial.version(), None);
        assert!(partial.is_partial() && !full.is_partial());
        assert!(partial.matches(&full) && full.matches(&partial));
        assert!(!parse(Store::Vault, "kv/db").matches(&parse(Store::Vault, "kv/db2")));
        assert!(!parse(Store::Vault, "kv/db").is_partial() && !pinned.is_partial());
    }

    #[test]
    fn every_store_is_named_in_the_list_sentence() {
        assert_eq!(Store::names(), "`sm`, `vault` or `akv`");
        for store in Store::ALL {
            assert_eq!(Store::from_name(store.as_str()), Some(store));
            assert_eq!(Store::ALL[store.index()], store);
        }
    }

    #[test]
    fn a_locator_of_another_shape_is_told_by_the_store_whose_shape_it_has() {
        fn told(store: Store, text: &str) -> Option<(&'static str, Option<Store>)> {
            match SecretRef::parse(store, text) {
                Err(LocatorError {
                    kind: LocatorErrorKind::OtherStore { found, fits },
                    ..
                }) => Some((found, fits)),
                _ => None,
            }
        }
        let ssm = "arn:aws:ssm:us-east-1:123456789012:parameter/x";
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:x";
        let s3 = "arn:aws:s3:::bucket";
        let kv = "https://kv1.vault.azure.net";
        let ssm_text = "an SSM parameter ARN, not a Secrets Manager secret";
        assert_eq!(told(Store::Sm, ssm), Some((ssm_text, None)));
        assert_eq!(told(Store::Vault, ssm), Some((ssm_text, None)));
        assert_eq!(
            told(Store::Vault, arn),
            Some(("a Secrets Manager ARN", Some(Store::Sm)))
        );
        assert_eq!(told(Store::Akv, s3), Some(("an AWS ARN", None)));
        assert_eq!(told(Store::Sm, s3), None, "the ARN check names the service");
        let secret = format!("{kv}/secrets/x");
        assert_eq!(
            told(Store::Sm, &secret),
            Some(("a Key Vault secret identifier", Some(Store::Akv)))
        );
        assert_eq!(told(Store::Akv, &secret), None);
        let key = "a Key Vault key identifier, not a secret's";
        assert_eq!(
            told(Store::Vault, &format!("{kv}/keys/x")),
            Some((key, None))
        );
        assert_eq!(told(Store::Akv, &format!("{kv}/keys/x")), Some((key, None)));
        assert!(told(Store::Akv, &format!("{kv}/certificates/x")).is_some());
        let url = "https://example.com/x";
        assert_eq!(
            told(Store::Vault, url),
            Some(("a URL, not `<mount>/<path>`", None))
        );
        assert_eq!(
            told(Store::Akv, url),
            None,
            "the identifier check names the host"
        );
        for store in [Store::Sm, Store::Akv] {
            assert_eq!(
                told(store, "kv/app"),
                Some(("a Vault path", Some(Store::Vault)))
            );
        }
        assert!(SecretRef::parse(Store::Vault, "kv/app").is_ok());
        let said = |store, text: &str| SecretRef::parse(store, text).unwrap_err().kind.to_string();
        assert_eq!(
            said(Store::Vault, arn),
            "the locator is a Secrets Manager ARN, which the `sm` store reads: did you mean {{workato:sm:…}}?"
        );
        assert_eq!(
            said(Store::Sm, ssm),
            format!("the locator is {ssm_text}, which no store reads")
        );
    }
}
