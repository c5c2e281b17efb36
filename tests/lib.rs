//! The one integration-test binary: CLI behaviour, fixtures, and the tools around secretmask.

mod action;
mod aws;
mod azure;
mod cli;
mod corpus;
mod fixtures;
mod formats;
mod gitlab;
mod hardening;
mod integrations;
mod inventory;
mod precommit;
mod props;
mod readers;
mod render;
mod run;
mod sarif;
mod stores;
mod support;
mod syntaxes;
mod vault;
mod watch;
