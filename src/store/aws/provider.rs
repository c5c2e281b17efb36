//! AWS Secrets Manager through the official SDK: the default credential chain (or a named
//! profile), a client per partition and region (the region comes from the ARN), the SDK's
//! standard retry mode, and `BatchGetSecretValue` with up to 20 ids a call, in parallel from the
//! first. Where IAM denies the batch call, the provider falls back to `GetSecretValue` per secret
//! for the batches then in flight and the rest of the run.
//!
//! Nothing here is built until the first AWS secret is asked for, so offline lint and a render
//! from the file store never probe for credentials.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::Credentials;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::types::SecretValueEntry;
use aws_smithy_types::date_time::Format as DateFormat;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use futures::future::BoxFuture;
use secrecy::{SecretSlice, SecretString};
use tokio::sync::OnceCell;

use super::Arn;
use crate::mask::SecretRef;
use crate::provider::{Described, Fetched, Metadata, Provider, ProviderError, SecretValue};

/// `BatchGetSecretValue` takes at most 20 secret ids.
pub const BATCH_LIMIT: usize = 20;

/// Where and as whom the provider talks to AWS.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// A profile of `~/.aws/config` (`aws.profile`); otherwise the default chain's choice.
    pub profile: Option<String>,
    /// Send every call here (`aws.endpoint_url`); `AWS_ENDPOINT_URL` is read by the SDK itself.
    pub endpoint_url: Option<String>,
    /// The longest one call may take, retries included.
    pub timeout: Option<Duration>,
    /// Credentials to use instead of the default chain, for library users who hold them already.
    pub credentials: Option<Credentials>,
}

/// AWS Secrets Manager through the SDK: one client per partition and region, batches of `BatchGetSecretValue`.
pub struct AwsProvider {
    settings: Settings,
    /// The shared configuration (credentials, retries, timeouts), loaded on first use.
    base: OnceCell<SdkConfig>,
    /// Why credentials could not be had, worked out once at the first call that failed for
    /// want of them: every such call of the run then gives the one message that names the
    /// cause (the SDK's own errors differ from call to call, and name neither the profile nor
    /// the fix). Calls that succeed never ask the chain a second time.
    credentials: OnceCell<Result<(), ProviderError>>,
    /// One client per `partition/region`.
    clients: Mutex<HashMap<String, Client>>,
    /// Set once a batch call was denied: from then on, one `GetSecretValue` per secret. Batch
    /// calls go out in parallel from the first: where IAM denies them, those already in flight
    /// (at most `--concurrency`) are denied too and fall back alike.
    batch_denied: AtomicBool,
}

impl Settings {
    /// The `aws` section; credentials, region and `AWS_ENDPOINT_URL` are the SDK's own to read
    /// (its default chain: environment, profiles, SSO, web identity, container and instance
    /// roles), so the config only picks a profile and an endpoint.
    pub fn from_config(config: &super::Section, timeout: Option<Duration>) -> Self {
        Self {
            profile: config.profile.clone(),
            endpoint_url: config.endpoint_url.clone(),
            timeout,
            credentials: None,
        }
    }
}

impl Settings {
    /// Which credentials and endpoint the chain will use, as `--verbose` says it: the chain's
    /// own order (the environment's keys first, then the profile), never a credential.
    fn story(&self) -> String {
        let env = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        let credentials = if self.credentials.is_some() {
            "credentials given by the caller".to_owned()
        } else if env("AWS_ACCESS_KEY_ID").is_some() {
            "credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the chain's first choice)"
                .to_owned()
        } else if let Some(profile) = &self.profile {
            format!("credentials of profile `{profile}` (aws.profile)")
        } else if let Some(profile) = env("AWS_PROFILE") {
            format!("credentials of profile `{profile}` (AWS_PROFILE)")
        } else {
            "credentials from the default chain (the default profile, SSO, web identity, container or instance role)".to_owned()
        };
        let endpoint = match (&self.endpoint_url, env("AWS_ENDPOINT_URL")) {
            (Some(url), _) => format!("; endpoint {url} (aws.endpoint_url)"),
            (None, Some(url)) => format!("; endpoint {url} (AWS_ENDPOINT_URL)"),
            (None, None) => "; each region's own endpoint".to_owned(),
        };
        credentials + &endpoint
    }
}

impl AwsProvider {
    /// A provider that builds its clients on first use.
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            base: OnceCell::new(),
            credentials: OnceCell::new(),
            clients: Mutex::new(HashMap::new()),
            batch_denied: AtomicBool::new(false),
        }
    }

    async fn client(&self, arn: &Arn) -> Client {
        let base = self
            .base
            .get_or_init(|| async {
                // Each client takes its region from the ARN; naming one here keeps the loader
                // from probing instance metadata for a default region.
                tracing::info!("aws: {}", self.settings.story());
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .region(Region::new("us-east-1"))
                    .retry_config(RetryConfig::standard());
                if let Some(profile) = &self.settings.profile {
                    loader = loader.profile_name(profile);
                }
                if let Some(url) = &self.settings.endpoint_url {
                    loader = loader.endpoint_url(url);
                }
                if let Some(credentials) = &self.settings.credentials {
                    loader = loader.credentials_provider(credentials.clone());
                }
                let mut timeouts = TimeoutConfig::builder().connect_timeout(Duration::from_secs(5));
                if let Some(timeout) = self.settings.timeout {
                    timeouts = timeouts.operation_timeout(timeout);
                }
                loader.timeout_config(timeouts.build()).load().await
            })
            .await;
        let key = group_of(arn);
        let mut clients = self
            .clients
            .lock()
            .expect("no panic while holding the lock");
        clients
            .entry(key)
            .or_insert_with(|| {
                let config = aws_sdk_secretsmanager::config::Builder::from(base)
                    .region(Region::new(arn.region.clone()))
                    .build();
                Client::from_conf(config)
            })
            .clone()
    }

    /// A failure for want of credentials, as the one message of its cause.
    async fn explained(&self, error: ProviderError) -> ProviderError {
        if !matches!(error, ProviderError::Credentials { .. }) {
            return error;
        }
        let Some(base) = self.base.get() else {
            return error;
        };
        match self
            .credentials
            .get_or_init(|| check_credentials(base, self.settings.profile.as_deref()))
            .await
        {
            Err(cause) => cause.clone(),
            Ok(()) => error,
        }
    }

    async fn explain<T>(&self, result: Result<T, ProviderError>) -> Result<T, ProviderError> {
        match result {
            Ok(value) => Ok(value),
            Err(error) => Err(self.explained(error).await),
        }
    }

    async fn fetch_batch(&self, arns: &[&Arn]) -> Vec<Fetched> {
        let client = self.client(arns[0]).await;
        if arns.len() > 1 && !self.batch_denied.load(Ordering::Acquire) {
            match batch_get(&client, arns).await {
                Err(ProviderError::AccessDenied { .. }) => {
                    if !self.batch_denied.swap(true, Ordering::AcqRel) {
                        tracing::debug!(
                            "BatchGetSecretValue denied; falling back to GetSecretValue per secret"
                        );
                    }
                }
                Ok(answers) => return answers,
                Err(e) => {
                    let e = self.explained(e).await;
                    return arns.iter().map(|_| Err(e.clone())).collect();
                }
            }
        }
        let mut answers = Vec::with_capacity(arns.len());
        for arn in arns {
            answers.push(self.explain(get_one(&client, arn).await).await);
        }
        answers
    }
}

impl Provider for AwsProvider {
    fn group(&self, secret: &SecretRef) -> String {
        Arn::of(secret).map(group_of).unwrap_or_default()
    }

    fn batch_limit(&self) -> usize {
        BATCH_LIMIT
    }

    fn fetch<'a>(&'a self, secrets: &'a [SecretRef]) -> BoxFuture<'a, Vec<Fetched>> {
        Box::pin(async move {
            let arns: Vec<&Arn> = secrets.iter().filter_map(Arn::of).collect();
            if arns.len() != secrets.len() || arns.is_empty() {
                return secrets
                    .iter()
                    .map(|s| Err(ProviderError::no_provider(s)))
                    .collect();
            }
            self.fetch_batch(&arns).await
        })
    }

    fn describe<'a>(
        &'a self,
        secret: &'a SecretRef,
    ) -> BoxFuture<'a, Result<Described, ProviderError>> {
        Box::pin(async move {
            let arn = Arn::of(secret).ok_or_else(|| ProviderError::no_provider(secret))?;
            let client = self.client(arn).await;
            let output = self
                .explain(
                    client
                        .describe_secret()
                        .secret_id(arn.as_str())
                        .send()
                        .await
                        .map_err(|e| sdk_error(&e)),
                )
                .await?;
            let tags = output
                .tags
                .unwrap_or_default()
                .into_iter()
                .filter_map(|tag| Some((tag.key?, tag.value.unwrap_or_default())))
                .collect::<BTreeMap<_, _>>();
            let date = |d: Option<aws_smithy_types::DateTime>| {
                d.and_then(|d| d.fmt(DateFormat::DateTime).ok())
            };
            let details = crate::provider::Details {
                name: output.name.clone(),
                arn: output.arn.clone(),
                created: date(output.created_date),
                updated: date(output.last_changed_date),
                last_accessed: date(output.last_accessed_date),
                rotation_enabled: output.rotation_enabled,
                last_rotated: date(output.last_rotated_date),
                next_rotation: date(output.next_rotation_date),
                current_version: output.version_ids_to_stages.as_ref().and_then(|versions| {
                    versions
                        .iter()
                        .find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT"))
                        .map(|(id, _)| id.clone())
                }),
                ..crate::provider::Details::default()
            };
            Ok(Metadata {
                tags: Some(tags),
                deleted: date(output.deleted_date),
                details,
                ..Metadata::default()
            }
            .into())
        })
    }

    /// `DescribeSecret` by name, with the client of `region`.
    fn arn_of<'a>(
        &'a self,
        region: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<String, ProviderError>> {
        Box::pin(async move {
            let partition = super::partition_of(region).ok_or(ProviderError::NotFound)?;
            // The client of that partition and region (a client is chosen by an ARN's).
            let key = Arn::parse(&format!(
                "arn:{partition}:secretsmanager:{region}:000000000000:secret:{name}"
            ))
            .map_err(|_| ProviderError::NotFound)?;
            let client = self.client(&key).await;
            let output = self
                .explain(
                    client
                        .describe_secret()
                        .secret_id(name)
                        .send()
                        .await
                        .map_err(|e| sdk_error(&e)),
                )
                .await?;
            output.arn.ok_or(ProviderError::NotFound)
        })
    }

    /// `TagResource`: adds or overwrites the named tags; the others stay.
    fn tag<'a>(
        &'a self,
        secret: &'a SecretRef,
        tags: &'a BTreeMap<String, String>,
        _current: &'a BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let arn = Arn::of(secret).ok_or_else(|| ProviderError::no_provider(secret))?;
            let client = self.client(arn).await;
            let request = tags.iter().fold(
                client.tag_resource().secret_id(arn.as_str()),
                |request, (key, value)| {
                    request.tags(
                        aws_sdk_secretsmanager::types::Tag::builder()
                            .key(key)
                            .value(value)
                            .build(),
                    )
                },
            );
            self.explain(request.send().await.map_err(|e| sdk_error(&e)))
                .await?;
            Ok(())
        })
    }
}

/// Secrets of one partition and region share a client and a batch.
fn group_of(arn: &Arn) -> String {
    format!("{}/{}", arn.partition, arn.region)
}

/// One `BatchGetSecretValue` (and its further pages, if AWS splits the answer). Per-id errors
/// are mapped back to the ids that were asked for; an error of the whole call is returned.
async fn batch_get(client: &Client, arns: &[&Arn]) -> Result<Vec<Fetched>, ProviderError> {
    let ids: Vec<String> = arns.iter().map(|a| a.as_str().to_owned()).collect();
    let mut pages = client
        .batch_get_secret_value()
        .set_secret_id_list(Some(ids))
        .into_paginator()
        .send();
    let mut values: Vec<SecretValueEntry> = Vec::new();
    let mut errors: HashMap<String, ProviderError> = HashMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| sdk_error(&e))?;
        values.extend(page.secret_values.unwrap_or_default());
        for error in page.errors.unwrap_or_default() {
            if let Some(id) = error.secret_id {
                let code = error.error_code.unwrap_or_default();
                let message = error.message.unwrap_or_default();
                errors.insert(id, service_error(&code, &message));
            }
        }
    }
    Ok(arns
        .iter()
        .map(|arn| {
            if let Some(error) = errors.get(arn.as_str()) {
                return Err(error.clone());
            }
            let entry = values
                .iter_mut()
                .find(|entry| entry.arn.as_deref().is_some_and(|got| names(arn, got)))
                .ok_or(ProviderError::NotFound)?;
            value_of(entry.secret_string.take(), entry.secret_binary.take())
        })
        .collect())
}

/// Whether the ARN AWS answered with is the secret `asked` names: the same ARN, or for a partial
/// ARN, the same ARN with AWS's 6-character suffix.
fn names(asked: &Arn, answered: &str) -> bool {
    // A partial ARN whose name ends like a suffix (`my-secret`) parses as a full one, so the
    // text AWS extends is checked as well as the parsed match.
    answered
        .strip_prefix(asked.as_str())
        .is_some_and(|rest| rest.is_empty() || rest.len() == 7 && rest.starts_with('-'))
        || Arn::parse(answered).is_ok_and(|answered| asked.matches(&answered))
}

async fn get_one(client: &Client, arn: &Arn) -> Fetched {
    let mut output = client
        .get_secret_value()
        .secret_id(arn.as_str())
        .send()
        .await
        .map_err(|e| sdk_error(&e))?;
    value_of(output.secret_string.take(), output.secret_binary.take())
}

/// Moves what the SDK returned into `secrecy` types.
fn value_of(
    text: Option<String>,
    binary: Option<aws_smithy_types::Blob>,
) -> Result<SecretValue, ProviderError> {
    match (text, binary) {
        (Some(text), _) => Ok(SecretValue::Text(SecretString::from(text))),
        (None, Some(blob)) => Ok(SecretValue::Binary(SecretSlice::from(blob.into_inner()))),
        (None, None) => Err(ProviderError::Service {
            code: "NoValue".into(),
            message: "the secret's current version has neither SecretString nor SecretBinary"
                .into(),
        }),
    }
}

/// Formats an SDK error ourselves, from `Display` only: `Debug` (and `DisplayErrorContext`,
/// which appends it) carries raw responses and backtraces.
fn sdk_error<E>(
    error: &SdkError<E, aws_sdk_secretsmanager::config::http::HttpResponse>,
) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error {
        SdkError::ServiceError(context) => {
            let e = context.err();
            match e.code() {
                Some(code) => service_error(code, e.message().unwrap_or("")),
                // No error code: something else answered (a proxy's HTML page, garbage).
                None => not_an_answer(context.raw()),
            }
        }
        SdkError::ResponseError(context) => not_an_answer(context.raw()),
        SdkError::TimeoutError(_) => ProviderError::TimedOut { seconds: None },
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            ProviderError::TimedOut { seconds: None }
        }
        _ if caused_by_credentials(error) => ProviderError::Credentials {
            message: crate::provider::causes(error),
        },
        _ => ProviderError::Unreachable {
            message: crate::provider::causes(error),
        },
    }
}

/// Asks the chain for credentials again, after a call failed for want of them. A named profile that no shared file defines is named
/// as such (the SDK would otherwise go on to instance metadata and say nothing of it); a chain
/// that finds nothing says where it looked.
async fn check_credentials(base: &SdkConfig, profile: Option<&str>) -> Result<(), ProviderError> {
    use aws_credential_types::provider::ProvideCredentials;
    let Some(chain) = base.credentials_provider() else {
        return Ok(());
    };
    let profile = profile.map(|p| (p.to_owned(), "aws.profile")).or_else(|| {
        std::env::var("AWS_PROFILE")
            .ok()
            .filter(|p| !p.is_empty())
            .map(|p| (p, "AWS_PROFILE"))
    });
    let answer = chain.provide_credentials().await;
    let Err(error) = answer else {
        return Ok(());
    };
    if let Some((name, from)) = &profile {
        let files = aws_config::profile::load(
            &aws_types::os_shim_internal::Fs::real(),
            &aws_types::os_shim_internal::Env::real(),
            &Default::default(),
            None,
        )
        .await;
        let defined = files
            .as_ref()
            .is_ok_and(|set| set.get_profile(name).is_some());
        if !defined {
            let known: Vec<&str> = files
                .as_ref()
                .map(|set| set.profiles().collect())
                .unwrap_or_default();
            return Err(ProviderError::Credentials {
                message: format!(
                    "AWS profile `{name}` ({from}) is not defined in ~/.aws/config or ~/.aws/credentials (or AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE){}: correct the name, or create it with `aws configure --profile {name}`",
                    if known.is_empty() {
                        " — they define no profile".to_owned()
                    } else {
                        format!(", which define {}", known.join(", "))
                    }
                ),
            });
        }
    }
    let message = match (&error, &profile) {
        (CredentialsError::CredentialsNotLoaded(_), None) => "the default AWS chain found none: it looked at AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the default profile of ~/.aws/config and ~/.aws/credentials, web identity, the container and instance metadata; set one of them (`aws configure`, AWS_PROFILE, or aws.profile in .secretmask.yaml)".to_owned(),
        (_, Some((name, from))) => format!(
            "the credentials of AWS profile `{name}` ({from}) could not be loaded: {}; check the profile (`aws configure list --profile {name}`, or `aws sso login --profile {name}` for SSO)",
            crate::provider::causes(&error)
        ),
        (_, None) => format!(
            "the default credential chain failed: {}; check `aws configure list`",
            crate::provider::causes(&error)
        ),
    };
    Err(ProviderError::Credentials { message })
}

/// An answer Secrets Manager did not give: its status and content type.
fn not_an_answer(raw: &aws_sdk_secretsmanager::config::http::HttpResponse) -> ProviderError {
    let content_type = raw
        .headers()
        .get("content-type")
        .unwrap_or("no content type");
    ProviderError::Service {
        code: format!("HTTP {}", raw.status().as_u16()),
        message: format!(
            "not a Secrets Manager answer ({content_type}); a proxy or load balancer may have answered"
        ),
    }
}

fn caused_by_credentials(error: &(dyn std::error::Error + 'static)) -> bool {
    crate::provider::chain(error).any(|e| e.is::<CredentialsError>())
}

/// The error AWS names with `code` (documented for `GetSecretValue` and `APIErrorType`).
fn service_error(code: &str, message: &str) -> ProviderError {
    let message = message.to_owned();
    match code {
        "ResourceNotFoundException" => ProviderError::NotFound,
        "AccessDeniedException" => ProviderError::AccessDenied { message },
        "DecryptionFailure" => ProviderError::DecryptionFailure { message },
        "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded" => {
            ProviderError::Throttled { message }
        }
        "InvalidRequestException"
            if message.contains("marked for deletion") || message.contains("marked deleted") =>
        {
            ProviderError::ScheduledForDeletion
        }
        _ => ProviderError::Service {
            code: code.to_owned(),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_arn_names_the_secret_with_any_suffix() {
        let partial =
            Arn::parse("arn:aws:secretsmanager:us-east-1:123456789012:secret:app").unwrap();
        assert!(names(
            &partial,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf"
        ));
        assert!(!names(
            &partial,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-db-AbCdEf"
        ));
        let full =
            Arn::parse("arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf").unwrap();
        assert!(names(
            &full,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf"
        ));
    }

    #[test]
    fn error_codes_map_to_reasons() {
        assert_eq!(
            service_error("ResourceNotFoundException", "x"),
            ProviderError::NotFound
        );
        assert_eq!(
            service_error(
                "InvalidRequestException",
                "You can't perform this operation on the secret because it was marked for deletion."
            ),
            ProviderError::ScheduledForDeletion
        );
        assert!(matches!(
            service_error("ThrottlingException", "Rate exceeded"),
            ProviderError::Throttled { .. }
        ));
    }
}
