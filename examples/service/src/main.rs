//! Resolves masks from a configuration at start-up, as a service would, with only the Vault
//! store compiled in. `secretmask-service-example CONFIG TEMPLATE` prints the rendered template.
//! With the quickstart's config (the `file` store), no server is needed.

use secrecy::ExposeSecret;
use secretmask::render::{Format, render_str};
use secretmask::{Mask, Resolver, ResolverOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let (Some(config), Some(template)) = (args.next(), args.next()) else {
        return Err("usage: secretmask-service-example CONFIG TEMPLATE".into());
    };
    let loaded = secretmask::config::load(Some(config.as_ref()), &std::env::current_dir()?)?;
    let options = ResolverOptions::from_config(&loaded.config);
    let resolver = Resolver::from_config(&loaded, None, &options)?;

    let mask = Mask::parse("{{workato:vault:role_id:kv/apono/approle}}")?;
    let role_id = resolver.resolve(&[mask]).await.remove(0)?;
    eprintln!("role_id has {} characters", role_id.expose_secret().len());

    let template = std::fs::read_to_string(template)?;
    print!("{}", render_str(&template, Format::Yaml, &resolver).await?);
    Ok(())
}
