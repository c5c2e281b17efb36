//! The moto server `scripts/test` started (`SECRETMASK_TEST_MOTO`), and secrets created in it
//! through the real SDK. Every test names its secrets under a prefix of its own, so tests run
//! in parallel against one server without seeing each other's secrets.

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::types::Tag;

/// Credentials the tests hand to the SDK and the CLI: they must appear in no output.
pub const ACCESS_KEY_ID: &str = "AKIACANARYCREDENTIAL";
pub const SECRET_ACCESS_KEY: &str = "canary-credential-secret-access-key";

/// The moto endpoint, or `None` (with a note) when it is not running and the suite may skip.
pub fn endpoint() -> Option<String> {
    match std::env::var("SECRETMASK_TEST_MOTO") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if super::tools_required() => {
            panic!("SECRETMASK_TEST_MOTO is not set: run the suite with scripts/test")
        }
        _ => {
            eprintln!("skipped: no moto server (SECRETMASK_TEST_MOTO); scripts/test starts one");
            None
        }
    }
}

/// A prefix no other test or run uses.
pub fn prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{test}-{}-{nanos}", std::process::id())
}

pub fn credentials() -> Credentials {
    Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "tests")
}

/// Creates and inspects secrets in moto.
pub struct Moto {
    endpoint: String,
    runtime: tokio::runtime::Runtime,
}

impl Moto {
    pub fn new(endpoint: &str) -> Self {
        Self {
            endpoint: endpoint.to_owned(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    fn client(&self, region: &str) -> Client {
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(credentials())
            .build();
        Client::from_conf(config)
    }

    /// A string secret; returns its full ARN.
    pub fn string(&self, region: &str, name: &str, value: &str, tags: &[(&str, &str)]) -> String {
        let tags: Vec<Tag> = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
            .collect();
        self.runtime.block_on(async {
            self.client(region)
                .create_secret()
                .name(name)
                .secret_string(value)
                .set_tags(Some(tags))
                .send()
                .await
                .unwrap()
                .arn
                .unwrap()
        })
    }

    /// A binary secret; returns its full ARN.
    pub fn binary(&self, region: &str, name: &str, value: &[u8]) -> String {
        self.runtime.block_on(async {
            self.client(region)
                .create_secret()
                .name(name)
                .secret_binary(Blob::new(value))
                .send()
                .await
                .unwrap()
                .arn
                .unwrap()
        })
    }

    /// A new current value, as a rotation writes it.
    pub fn rotate(&self, region: &str, arn: &str, value: &str) {
        self.runtime.block_on(async {
            self.client(region)
                .put_secret_value()
                .secret_id(arn)
                .secret_string(value)
                .send()
                .await
                .unwrap();
        });
    }

    /// The secret's tags, as DescribeSecret lists them, sorted.
    pub fn tags(&self, region: &str, arn: &str) -> Vec<(String, String)> {
        let mut tags: Vec<(String, String)> = self.runtime.block_on(async {
            self.client(region)
                .describe_secret()
                .secret_id(arn)
                .send()
                .await
                .unwrap()
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
                .collect()
        });
        tags.sort();
        tags
    }

    /// How many versions the secret has: a tag is no new version.
    pub fn versions(&self, region: &str, arn: &str) -> usize {
        self.runtime.block_on(async {
            self.client(region)
                .list_secret_version_ids()
                .secret_id(arn)
                .send()
                .await
                .unwrap()
                .versions
                .unwrap_or_default()
                .len()
        })
    }

    /// Schedules the secret for deletion, with AWS's shortest recovery window.
    pub fn schedule_deletion(&self, region: &str, arn: &str) {
        self.runtime.block_on(async {
            self.client(region)
                .delete_secret()
                .secret_id(arn)
                .recovery_window_in_days(7)
                .send()
                .await
                .unwrap();
        });
    }
}
