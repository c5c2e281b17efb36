//! secretmask: lint and render configuration files that hold *secret masks* such as
//! `{{workato:sm:<key>:<secret ARN>}}`, `{{workato:vault:<key>:<mount>/<path>}}` or
//! `<<workato:akv:<key>:https://<vault>.vault.azure.net/secrets/<name>>>`, resolved from AWS
//! Secrets Manager, Vault KV v2, Azure Key Vault or a local secrets file.
//!
//! The command line (`secretmask lint`, `secretmask render`) is a thin layer over this library;
//! a Rust service can resolve masks itself, at start-up and on refresh:
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use secretmask::{Mask, Resolver};
//! use secretmask::render::{Format, render_str};
//! use secrecy::ExposeSecret;
//!
//! // The `file` store; `Resolver::from_env()` sets up AWS, Vault and Azure as the command line
//! // does (the nearest `.secretmask.yaml`, the user's config, the environment).
//! let resolver = Resolver::from_secrets_yaml("kv/app/db:\n  password: hunter2\n  port: 5432\n")?;
//!
//! // One mask at a time…
//! let mask = Mask::parse("{{workato:vault:password:kv/app/db}}")?;
//! let value = resolver.resolve(&[mask]).await.remove(0)?;
//! assert_eq!(value.expose_secret(), "hunter2");
//!
//! // …or a whole template, escaped for its format and checked by re-reading it.
//! let config = render_str("db:\n  port: {{workato:vault:port:kv/app/db}}\n", Format::Yaml, &resolver).await?;
//! assert_eq!(config, "db:\n  port: 5432\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Values live in [`secrecy`] types: no `Debug`, error or log line shows one. A [`Resolver`]
//! keeps each secret for its TTL and coalesces concurrent requests; share one per process.
//!
//! `ARCHITECTURE.md` in the repository describes the modules, the direction of their
//! dependencies and the invariants.
//!
//! **Stability.** The crate is 0.x: the items re-exported here ([`Resolver`], [`Mask`],
//! [`SecretRef`], [`Store`], [`render::render_str`], [`Error`]) are the API meant for library
//! users and change only with a minor version; the modules behind them are public for the
//! command line and the tests and may change in any release.

#![warn(missing_docs, unreachable_pub)]

pub mod command;
pub mod config;
pub mod diagnostic;
mod encoded;
mod environment;
mod error;
mod finding;
pub mod grammar;
pub mod input;
mod inventory;
mod kubernetes;
pub mod lint;
pub mod logs;
pub mod mask;
pub mod migrate;
pub mod provider;
pub mod redact;
pub mod render;
mod required_tags;
pub mod resolve;
pub mod source;
pub mod store;
pub mod syntax;
mod tagging;

pub use command::{
    Command, CommandError, InventoryFormat, InventoryOptions, LintOptions, RenderOptions,
    RunOptions, RunWatch, TagOptions, WatchOptions, run,
};
pub use error::Error;
pub use grammar::MaskError;
pub use mask::{Mask, Modifier, SecretRef, Store};
pub use render::{Format, RenderError, render_str};
pub use resolve::{
    Kind, Options as ResolverOptions, ResolveError, ResolveErrorKind, Resolver, SetupError, Value,
};
