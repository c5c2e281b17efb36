//! Key Vault reads through the Resolver and the official SDK against the test server of
//! `tests/support/keyvault.rs` (TLS, challenge flow, token endpoint), against a peer making the
//! same protocol calls directly with reqwest: one token request and one `GET` per secret, eight
//! at a time. Each iteration starts cold (new clients, new TLS connections, no token, no cache),
//! as a `secretmask render` run does.

#[path = "../tests/support/keyvault.rs"]
#[allow(dead_code)]
mod keyvault;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use futures::StreamExt;
use keyvault::{KeyVault, Version};
use secretmask::grammar;

const SECRETS: usize = 100;
const KEYS: usize = 10;
const CLIENT_SECRET: &str = "bench-client-secret";
const HOST: &str = "bench-kv.vault.azure.net";

fn bench(c: &mut Criterion) {
    let kv = KeyVault::start(CLIENT_SECRET);
    let mut template = String::new();
    for s in 0..SECRETS {
        let object: serde_json::Map<String, serde_json::Value> = (0..KEYS)
            .map(|k| (format!("k{k}"), format!("value-{s}-{k}").into()))
            .collect();
        kv.set(
            &format!("s{s}"),
            Version::new(&serde_json::Value::from(object).to_string()),
        );
        for k in 0..KEYS {
            template.push_str(&format!(
                "<<workato:akv:k{k}:https://{HOST}/secrets/s{s}>>\n"
            ));
        }
    }
    let candidates = grammar::scan(template.as_bytes());
    let masks: Vec<_> = candidates.iter().map(|c| c.as_ref().unwrap()).collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ca = std::fs::read(&kv.ca_file).unwrap();

    let mut group = c.benchmark_group("azure");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("secretmask resolve: 1000 masks, 100 secrets", |b| {
        b.iter(|| {
            let resolver = kv.resolver(&[HOST], Duration::from_secs(300));
            let values = runtime.block_on(resolver.resolve(&masks));
            assert!(values.iter().all(Result::is_ok));
        })
    });
    group.bench_function("direct: 1 token request, 100 GETs", |b| {
        b.iter(|| runtime.block_on(direct(&kv.url, &ca)))
    });
    group.finish();
}

/// The same calls without the SDK: a token, then every secret, eight requests in flight.
async fn direct(url: &str, ca: &[u8]) {
    let client = reqwest::Client::builder()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(ca).unwrap())
        .build()
        .unwrap();
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", keyvault::CLIENT_ID)
        .append_pair("client_secret", CLIENT_SECRET)
        .append_pair("grant_type", "client_credentials")
        .append_pair("scope", "https://vault.azure.net/.default")
        .finish();
    let answer = client
        .post(format!("{url}/{}/oauth2/v2.0/token", keyvault::TENANT))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let token: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let reads = futures::stream::iter(0..SECRETS)
        .map(|s| {
            let request = client
                .get(format!("{url}/secrets/s{s}/?api-version=2025-07-01"))
                .header("authorization", &bearer);
            async move {
                let bytes = request.send().await.unwrap().bytes().await.unwrap();
                let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                assert!(body["value"].is_string());
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<()>>();
    reads.await;
}

criterion_group!(benches, bench);
criterion_main!(benches);
