//! The typed mask: where it stands, its delimiters, its key, and the secret it names.
//!
//! `grammar` finds a mask and splits it into store, key and locator; the store's folder under
//! `store` decides whether the locator is one it can resolve (`grammar/mask.ebnf`).

use std::fmt;

use crate::source::Span;

pub use crate::store::{LocatorError, LocatorErrorKind, SecretRef, Store};

/// The two delimiter pairs; a mask is closed by the closer of its own opener.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Delimiter {
    /// `{{ … }}`
    Braces,
    /// `<< … >>`
    Angles,
}

impl Delimiter {
    /// `{{` or `<<`.
    pub const fn opener(self) -> &'static str {
        match self {
            Self::Braces => "{{",
            Self::Angles => "<<",
        }
    }

    /// `}}` or `>>`.
    pub const fn closer(self) -> &'static str {
        match self {
            Self::Braces => "}}",
            Self::Angles => ">>",
        }
    }
}
/// One mask as written in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mask {
    /// From the first byte of the opener to the last byte of the closer.
    pub span: Span,
    /// Which delimiters the mask is written with.
    pub delimiter: Delimiter,
    /// The key with its escapes removed; empty means the whole secret.
    pub key: std::sync::Arc<str>,
    /// The secret it names, shared by every mask of a scan that names it (a large template
    /// names a few secrets many times).
    pub secret: std::sync::Arc<SecretRef>,
    /// What the reference asks done with the value before it is placed (argocd-vault-plugin's
    /// modifiers); a native mask has none.
    pub modifier: Option<Modifier>,
}

/// What a reference asks done with its value before it is placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Modifier {
    /// argocd-vault-plugin's `| jsonParse`: the value is JSON text, placed as the JSON value it
    /// holds (a collection, a number, …) where the mask is a whole YAML value or a JSON value
    /// outside a string, and refused where that type cannot stand.
    JsonParse,
}

impl Modifier {
    /// As the reference writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JsonParse => "jsonParse",
        }
    }
}

impl Mask {
    /// The store of the secret.
    pub fn store(&self) -> Store {
        self.secret.store()
    }
}

/// Prints the mask in its canonical form: the characters the grammar reserves are escaped in the
/// key, the locator is printed as written.
impl fmt::Display for Mask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}workato:{}:", self.delimiter.opener(), self.store())?;
        for c in self.key.chars() {
            if needs_escape(c) {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
        write!(f, ":{}{}", self.secret, self.delimiter.closer())
    }
}

/// Characters that a key can only hold escaped (`grammar/mask.ebnf`, `keychar`).
pub fn needs_escape(c: char) -> bool {
    matches!(c, ':' | '{' | '}' | '<' | '>' | '\\') || c.is_whitespace() || c.is_control()
}
