//! secretmask: lint and render configuration files that hold secret masks such as
//! `{{workato:sm:<key>:<secret ARN>}}` (design.md).

pub mod config;
pub mod diagnostic;
pub mod error;
pub mod grammar;
pub mod input;
pub mod lint;
pub mod logs;
pub mod mask;
pub mod provider;
pub mod render;
pub mod resolve;
pub mod run;
pub mod source;

pub use error::Error;
pub use mask::{Mask, SecretRef, Store};
pub use run::{Command, LintOptions, RenderOptions, run};
