//! secretmask: lint and render configuration files that hold secret masks such as
//! `{{workato:sm:<key>:<secret ARN>}}` (design.md).

pub mod command;
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
pub mod source;

pub use command::{Command, LintOptions, RenderOptions, run};
pub use error::Error;
pub use mask::{Mask, SecretRef, Store};
