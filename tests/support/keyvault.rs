//! A Key Vault, and the Microsoft identity platform token endpoint in front of it, in one HTTPS
//! server on 127.0.0.1. No Key Vault emulator can be installed here (ARCHITECTURE.md §Tests), so this server
//! follows the documented wire formats, part by part:
//!
//! - **TLS.** The certificate (for `127.0.0.1` and `localhost`) is signed by a CA generated at
//!   start with rcgen; the CA is written to `ca.pem` for `azure.ca_file`. The SDK sends a bearer
//!   token over TLS only.
//! - **Token endpoint** ("Microsoft identity platform and the OAuth 2.0 client credentials
//!   flow"): `POST /{tenant}/oauth2/v2.0/token` with the form fields `client_id`,
//!   `client_secret`, `grant_type=client_credentials` and `scope` (`<resource>/.default`). Success
//!   is `{token_type: "Bearer", expires_in, ext_expires_in, access_token}`. Errors are
//!   `{error, error_description, error_codes, timestamp, trace_id, correlation_id}`: 400
//!   `invalid_request` for an unknown tenant (AADSTS90002) or app (AADSTS700016), 400
//!   `unsupported_grant_type` / `invalid_scope`, 401 `invalid_client` for a wrong secret
//!   (AADSTS7000215). The same grant with a federated credential (workload identity) sends
//!   `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and the
//!   token file's content as `client_assertion` instead of a secret; an assertion the tenant
//!   does not know is 400 `invalid_client` (AADSTS70021). `AZURE_AUTHORITY_HOST` points the SDK
//!   here.
//! - **Managed identity, App Service** ("Managed identities for App Service", REST protocol):
//!   `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=<resource>` with the
//!   `X-IDENTITY-HEADER` secret; the answer is `{access_token, expires_on (a string of Unix
//!   seconds), resource, token_type, client_id}`, and 400 without the right header.
//! - **Key Vault authentication** ("Azure Key Vault authentication", the challenge): a request
//!   without `Authorization: Bearer <token>`, or with a token this endpoint did not issue, gets
//!   401 with `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>",
//!   resource="https://vault.azure.net"` and `{"error": {"code": "Unauthorized", …}}`.
//! - **Update Secret** (`PATCH {vault}/secrets/{name}/{version}`): the body's `tags` replace
//!   the version's tags, `attributes.enabled` and `contentType` are set; the value is never
//!   written, and the answer carries none.
//! - **Get Secret** (REST API 7.x/2025-07-01, `GET {vault}/secrets/{name}/{version}`): any
//!   `api-version`, which must be present (400 `BadParameter` otherwise); an empty or absent
//!   version is the latest. The answer is the secret bundle `{value, id, attributes: {enabled,
//!   exp, nbf, created, updated, recoveryLevel}, tags, contentType}`, times in Unix seconds.
//!   Errors are `{"error": {"code", "message", "innererror"?}}`: 404 `SecretNotFound`; 403
//!   `Forbidden` with inner error `SecretDisabled` for a disabled version ("Operation get is not
//!   allowed on a disabled secret."), or with `AccessDenied` for a caller without the `get`
//!   permission. `exp` and `nbf` are returned as set and not enforced: the service serves an
//!   expired secret (Azure/AzureKeyVault#19).
//!
//! Every request is recorded, so a test can count reads, challenges and token requests.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use secretmask::provider::{Providers, Unconfigured};
use secretmask::resolve::{Options, Resolver};
use secretmask::store::azure::{AzureProvider, CredentialKind, ServicePrincipal, Settings};
use serde_json::{Value, json};

pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub const CLIENT_ID: &str = "0b6d2a3c-7f4e-4d5a-9c1b-secretmask01";
/// The Kubernetes service account token a workload identity presents: a credential.
pub const FEDERATED_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.CANARY-federated-4a1e.sig";
/// App Service's `IDENTITY_HEADER`: a credential.
pub const IDENTITY_HEADER: &str = "CANARY-identity-header-93b2";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The resource Key Vault's challenge names, in every cloud this server plays.
const RESOURCE: &str = "https://vault.azure.net";

/// One version of a secret.
#[derive(Clone, Debug)]
pub struct Version {
    pub value: String,
    pub enabled: bool,
    /// Unix seconds.
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub tags: BTreeMap<String, String>,
    pub content_type: Option<String>,
}

impl Version {
    pub fn new(value: &str) -> Self {
        Self {
            value: value.to_owned(),
            enabled: true,
            exp: None,
            nbf: None,
            tags: BTreeMap::new(),
            content_type: None,
        }
    }
}

/// A request the server answered.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub status: u16,
}

#[derive(Default)]
struct State {
    /// Name → versions, oldest first; each with its 32-hex-digit id.
    secrets: BTreeMap<String, Vec<(String, Version)>>,
    /// Secrets the caller has no `get` permission on.
    denied: BTreeSet<String>,
    /// Access tokens the token endpoint issued.
    tokens: BTreeSet<String>,
    seen: Vec<Seen>,
    next_version: u64,
    /// Answer nothing, ever.
    stalled: bool,
    /// Take no token as valid: the tenant does not trust this vault's caller.
    refuse_tokens: bool,
    /// How many of the next secret reads are cut mid-body (the connection closes after half
    /// of the answer its `Content-Length` announced).
    cut: usize,
}

pub struct KeyVault {
    /// `https://127.0.0.1:<port>`: the vault, and the authority host.
    pub url: String,
    pub ca_file: PathBuf,
    client_secret: String,
    state: Arc<Mutex<State>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl KeyVault {
    /// Starts a server that issues tokens to `CLIENT_ID` with `client_secret` in `TENANT`.
    pub fn start(client_secret: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (ca_pem, tls) = tls_config();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_pem).unwrap();

        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let url = format!("https://{}", std_listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let (shutdown, mut stop) = tokio::sync::oneshot::channel::<()>();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let (served, secret) = (state.clone(), client_secret.to_owned());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                loop {
                    let stream = tokio::select! {
                        _ = &mut stop => return,
                        accepted = listener.accept() => match accepted {
                            Ok((stream, _)) => stream,
                            Err(_) => continue,
                        },
                    };
                    let (acceptor, state, secret) =
                        (acceptor.clone(), served.clone(), secret.clone());
                    tokio::spawn(async move {
                        // A client that does not trust the CA hangs up here.
                        let Ok(tls) = acceptor.accept(stream).await else {
                            return;
                        };
                        let service = hyper::service::service_fn(move |request| {
                            let (state, secret) = (state.clone(), secret.clone());
                            async move {
                                Ok::<_, Infallible>(
                                    sent(answer(request, &state, &secret).await).await,
                                )
                            }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                            .await;
                    });
                }
            });
        });
        Self {
            url,
            ca_file,
            client_secret: client_secret.to_owned(),
            state,
            shutdown: Some(shutdown),
            _dir: dir,
        }
    }

    /// Adds a version of `name` and returns its id; it becomes the latest.
    pub fn set(&self, name: &str, version: Version) -> String {
        let mut state = self.state.lock().unwrap();
        state.next_version += 1;
        let id = format!("{:032x}", 0x5ec7_e7a5_0000_0000_u64 + state.next_version);
        state
            .secrets
            .entry(name.to_owned())
            .or_default()
            .push((id.clone(), version));
        id
    }

    /// Every version of `name`, oldest first.
    pub fn versions(&self, name: &str) -> Vec<Version> {
        self.state.lock().unwrap().secrets[name]
            .iter()
            .map(|(_, version)| version.clone())
            .collect()
    }

    /// Takes the `get` permission on `name` away from the caller.
    pub fn deny(&self, name: &str) {
        self.state.lock().unwrap().denied.insert(name.to_owned());
    }

    /// The access tokens issued so far: credentials, which must appear in no output either.
    pub fn tokens(&self) -> Vec<String> {
        self.state.lock().unwrap().tokens.iter().cloned().collect()
    }

    /// From now on, refuse every token with 401 and a new challenge.
    pub fn refuse_tokens(&self) {
        self.state.lock().unwrap().refuse_tokens = true;
    }

    /// From now on, take requests and never answer them.
    /// Cuts the next `reads` secret reads mid-body, as a proxy or a dropped connection does.
    pub fn cut_next(&self, reads: usize) {
        self.state.lock().unwrap().cut = reads;
    }

    pub fn stall(&self) {
        self.state.lock().unwrap().stalled = true;
    }

    /// Every request answered so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Authorized reads of secrets: `GET /secrets/…` answered with anything but a challenge.
    pub fn reads(&self) -> usize {
        self.count(|s| s.method == "GET" && s.path.starts_with("/secrets/") && s.status != 401)
    }

    /// Challenges: `GET /secrets/…` answered 401.
    pub fn challenges(&self) -> usize {
        self.count(|s| s.path.starts_with("/secrets/") && s.status == 401)
    }

    /// Token requests, answered or refused.
    pub fn token_requests(&self) -> usize {
        self.count(|s| s.method == "POST" && s.path.ends_with("/oauth2/v2.0/token"))
    }

    fn count(&self, matches: impl Fn(&Seen) -> bool) -> usize {
        self.state
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|s| matches(s))
            .count()
    }

    /// The environment of a service principal this server knows (`client-secret`).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AZURE_TENANT_ID", TENANT.to_owned()),
            ("AZURE_CLIENT_ID", CLIENT_ID.to_owned()),
            ("AZURE_CLIENT_SECRET", self.client_secret.clone()),
            ("AZURE_AUTHORITY_HOST", self.url.clone()),
        ]
    }

    /// The environment of an AKS workload identity whose token file is `token_file`.
    pub fn workload_env(&self, token_file: &std::path::Path) -> Vec<(&'static str, String)> {
        std::fs::write(token_file, FEDERATED_TOKEN).unwrap();
        vec![
            ("AZURE_TENANT_ID", TENANT.to_owned()),
            ("AZURE_CLIENT_ID", CLIENT_ID.to_owned()),
            (
                "AZURE_FEDERATED_TOKEN_FILE",
                token_file.display().to_string(),
            ),
            ("AZURE_AUTHORITY_HOST", self.url.clone()),
        ]
    }

    /// The environment App Service gives a managed identity.
    pub fn managed_identity_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("IDENTITY_ENDPOINT", format!("{}/msi/token", self.url)),
            ("IDENTITY_HEADER", IDENTITY_HEADER.to_owned()),
        ]
    }

    /// A Resolver for Key Vault only, built from settings alone (no environment): the service
    /// principal this server knows, `hosts` sent here, the CA trusted.
    pub fn resolver(&self, hosts: &[&str], ttl: Duration) -> Resolver {
        let provider = AzureProvider::new(Settings {
            credential: CredentialKind::ClientSecret,
            service_principal: Some(ServicePrincipal {
                tenant_id: TENANT.into(),
                client_id: CLIENT_ID.into(),
                client_secret: self.client_secret.clone().into(),
            }),
            authority_host: Some(self.url.clone()),
            endpoints: hosts
                .iter()
                .map(|h| (h.to_string(), self.url.clone()))
                .collect(),
            ca_files: vec![self.ca_file.clone()],
            timeout: Some(Duration::from_secs(30)),
        });
        Resolver::new(
            Providers::all(Arc::new(Unconfigured)).with(secretmask::Store::Akv, Arc::new(provider)),
            &Options {
                ttl,
                ..Options::default()
            },
        )
    }

    /// An `azure` config section that sends `hosts` here and trusts the CA.
    pub fn config(&self, credential: &str, hosts: &[&str]) -> String {
        let endpoints: Vec<String> = hosts
            .iter()
            .map(|h| format!("    {h}: {}\n", self.url))
            .collect();
        format!(
            "azure:\n  credential: {credential}\n  ca_file: {}\n  endpoints:\n{}",
            self.ca_file.display(),
            endpoints.concat()
        )
    }
}

impl Drop for KeyVault {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A CA, and a server certificate for 127.0.0.1 signed by it: the CA's PEM, and the server's
/// TLS configuration.
fn tls_config() -> (String, rustls::ServerConfig) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "secretmask test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().unwrap();
    let mut leaf =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "secretmask test Key Vault");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = leaf.signed_by(&key, &issuer).unwrap();

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (ca_cert.pem(), config)
}

async fn answer(
    request: Request<Incoming>,
    state: &Mutex<State>,
    secret: &str,
) -> (Response<Full<Bytes>>, bool) {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query: BTreeMap<String, String> = request
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let host = request
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let identity_header = request
        .headers()
        .get("x-identity-header")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_owned);
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();

    if state.lock().unwrap().stalled {
        std::future::pending::<()>().await;
    }
    let (response, cut) = {
        let mut state = state.lock().unwrap();
        let response = if method == "POST" && path.ends_with("/oauth2/v2.0/token") {
            token(&mut state, &path, &body, secret)
        } else if method == "GET" && path == "/msi/token" {
            managed_identity(&mut state, &query, identity_header.as_deref())
        } else if method == "GET" && path.starts_with("/secrets/") {
            get_secret(&state, &path, &query, &host, bearer.as_deref())
        } else if method == "PATCH" && path.starts_with("/secrets/") {
            update_secret(&mut state, &path, &query, &host, bearer.as_deref(), &body)
        } else {
            error(StatusCode::NOT_FOUND, "NotFound", "no such operation", None)
        };
        state.seen.push(Seen {
            method: method.clone(),
            path: path.clone(),
            status: response.status().as_u16(),
        });
        let cut = method == "GET"
            && path.starts_with("/secrets/")
            && response.status() == StatusCode::OK
            && state.cut > 0;
        if cut {
            state.cut -= 1;
        }
        (response, cut)
    };
    (response, cut)
}

/// The body as the client gets it: whole, or (`cut`) half of it and then a broken connection,
/// after a `Content-Length` that announced all of it.
async fn sent((response, cut): (Response<Full<Bytes>>, bool)) -> Response<Sent> {
    let (mut parts, body) = response.into_parts();
    if !cut {
        return Response::from_parts(parts, body.map_err(|never| match never {}).boxed());
    }
    let whole = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    parts
        .headers
        .insert(hyper::header::CONTENT_LENGTH, whole.len().into());
    let frames = vec![
        Ok(hyper::body::Frame::data(whole.slice(..whole.len() / 2))),
        Err(std::io::Error::other("connection cut")),
    ];
    Response::from_parts(
        parts,
        http_body_util::StreamBody::new(futures::stream::iter(frames)).boxed(),
    )
}

type Sent = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

/// `POST /{tenant}/oauth2/v2.0/token`, the client-credentials grant.
fn token(state: &mut State, path: &str, body: &[u8], secret: &str) -> Response<Full<Bytes>> {
    let form: BTreeMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let tenant = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let refuse = |status: StatusCode, error: &str, code: u32, description: String| {
        json_response(
            status,
            json!({
                "error": error,
                "error_description": format!("AADSTS{code}: {description} Trace ID: 0000 Correlation ID: 0000 Timestamp: 2026-01-01 00:00:00Z"),
                "error_codes": [code],
                "timestamp": "2026-01-01 00:00:00Z",
                "trace_id": "00000000-0000-0000-0000-000000000000",
                "correlation_id": "00000000-0000-0000-0000-000000000000",
            }),
            &[],
        )
    };
    if tenant != TENANT {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            format!("Tenant '{tenant}' not found."),
        );
    }
    if field("grant_type") != "client_credentials" {
        return refuse(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.".into(),
        );
    }
    if field("client_id") != CLIENT_ID {
        return refuse(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{}' was not found in the directory.",
                field("client_id")
            ),
        );
    }
    let assertion = field("client_assertion_type") == ASSERTION_TYPE;
    if assertion && field("client_assertion") != FEDERATED_TOKEN {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            70021,
            "No matching federated identity record found for presented assertion.".into(),
        );
    }
    if !assertion && field("client_secret") != secret {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.".into(),
        );
    }
    if !field("scope").ends_with("/.default") {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.".into(),
        );
    }
    let access_token = issue(state);
    json_response(
        StatusCode::OK,
        json!({
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": access_token,
        }),
        &[],
    )
}

fn issue(state: &mut State) -> String {
    let access_token = format!("kv-token-{}-{}", state.tokens.len(), now());
    state.tokens.insert(access_token.clone());
    access_token
}

/// `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…`, App Service's token endpoint.
fn managed_identity(
    state: &mut State,
    query: &BTreeMap<String, String>,
    header: Option<&str>,
) -> Response<Full<Bytes>> {
    let resource = query.get("resource").cloned().unwrap_or_default();
    if header != Some(IDENTITY_HEADER) || resource.is_empty() {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"statusCode": 400, "message": "Unable to load the proper Managed Identity."}),
            &[],
        );
    }
    let access_token = issue(state);
    json_response(
        StatusCode::OK,
        json!({
            "access_token": access_token,
            "expires_on": (now() + 3600).to_string(),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": CLIENT_ID,
        }),
        &[],
    )
}

/// `GET /secrets/{name}[/{version}]?api-version=…`.
/// `PATCH {vault}/secrets/{name}/{version}` (Update Secret): sets the attributes, content type
/// and tags the body names on one version (the latest for an empty version), never the value;
/// `tags` replaces the version's tags whole. The answer is the bundle without its value.
fn update_secret(
    state: &mut State,
    path: &str,
    query: &BTreeMap<String, String>,
    host: &str,
    bearer: Option<&str>,
    body: &[u8],
) -> Response<Full<Bytes>> {
    if let Some(refused) = refuse(state, query, bearer) {
        return refused;
    }
    let (name, version) = name_and_version(path);
    if state.denied.iter().any(|d| d.eq_ignore_ascii_case(name)) {
        return error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "The user, group or application 'appid={CLIENT_ID};oid=00000000-0000-0000-0000-000000000000;iss=https://sts.windows.net/{TENANT}/' does not have secrets set permission on key vault '{};location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
                host.split('.').next().unwrap_or(host)
            ),
            Some("AccessDenied"),
        );
    }
    let Ok(update) = serde_json::from_slice::<Value>(body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "The request body is not JSON.",
            None,
        );
    };
    let Some((real_name, versions)) = state
        .secrets
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    else {
        return secret_not_found(name, version);
    };
    let real_name = real_name.clone();
    let found = match version {
        Some(v) => versions
            .iter_mut()
            .find(|(id, _)| id.eq_ignore_ascii_case(v)),
        None => versions.last_mut(),
    };
    let Some((id, secret)) = found else {
        return secret_not_found(name, version);
    };
    if let Some(tags) = update.get("tags").and_then(Value::as_object) {
        secret.tags = tags
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect();
    }
    if let Some(content_type) = update.get("contentType").and_then(Value::as_str) {
        secret.content_type = Some(content_type.to_owned());
    }
    if let Some(enabled) = update
        .pointer("/attributes/enabled")
        .and_then(Value::as_bool)
    {
        secret.enabled = enabled;
    }
    json_response(
        StatusCode::OK,
        json!({
            "id": format!("https://{host}/secrets/{real_name}/{id}"),
            "attributes": {"enabled": secret.enabled, "recoveryLevel": "Recoverable+Purgeable"},
            "tags": secret.tags,
        }),
        &[],
    )
}

/// The challenge or the missing `api-version` a request without both gets.
fn refuse(
    state: &State,
    query: &BTreeMap<String, String>,
    bearer: Option<&str>,
) -> Option<Response<Full<Bytes>>> {
    if state.refuse_tokens || !bearer.is_some_and(|t| state.tokens.contains(t)) {
        let message = if bearer.is_none() {
            "AKV10000: Request is missing a Bearer or PoP token."
        } else {
            "AKV10032: Invalid issuer."
        };
        let challenge = format!(
            "Bearer authorization=\"https://login.microsoftonline.com/{TENANT}\", resource=\"{RESOURCE}\""
        );
        return Some(json_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": {"code": "Unauthorized", "message": message}}),
            &[("www-authenticate", &challenge)],
        ));
    }
    if !query.contains_key("api-version") {
        return Some(error(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "The request URI contains an invalid or missing 'api-version' parameter.",
            None,
        ));
    }
    None
}

/// `/secrets/{name}[/{version}]`; an empty version is the latest.
fn name_and_version(path: &str) -> (&str, Option<&str>) {
    let rest = path.trim_start_matches("/secrets/");
    match rest.split_once('/') {
        Some((name, version)) => (name, Some(version).filter(|v| !v.is_empty())),
        None => (rest, None),
    }
}

fn secret_not_found(name: &str, version: Option<&str>) -> Response<Full<Bytes>> {
    let id = match version {
        Some(v) => format!("{name}/{v}"),
        None => name.to_owned(),
    };
    error(
        StatusCode::NOT_FOUND,
        "SecretNotFound",
        &format!(
            "A secret with (name/id) {id} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
        None,
    )
}

fn get_secret(
    state: &State,
    path: &str,
    query: &BTreeMap<String, String>,
    host: &str,
    bearer: Option<&str>,
) -> Response<Full<Bytes>> {
    if let Some(refused) = refuse(state, query, bearer) {
        return refused;
    }
    let (name, version) = name_and_version(path);
    let not_found = || secret_not_found(name, version);
    // Names compare without case in Key Vault.
    let Some((_, versions)) = state
        .secrets
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    else {
        return not_found();
    };
    if state.denied.iter().any(|d| d.eq_ignore_ascii_case(name)) {
        return error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "The user, group or application 'appid={CLIENT_ID};oid=00000000-0000-0000-0000-000000000000;iss=https://sts.windows.net/{TENANT}/' does not have secrets get permission on key vault '{};location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
                host.split('.').next().unwrap_or(host)
            ),
            Some("AccessDenied"),
        );
    }
    let found = match version {
        Some(v) => versions.iter().find(|(id, _)| id.eq_ignore_ascii_case(v)),
        None => versions.last(),
    };
    let Some((id, secret)) = found else {
        return not_found();
    };
    if !secret.enabled {
        return error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Operation get is not allowed on a disabled secret.",
            Some("SecretDisabled"),
        );
    }
    let created = now() - 3600;
    let mut attributes = json!({
        "enabled": true,
        "created": created,
        "updated": created,
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": 90,
    });
    if let Some(exp) = secret.exp {
        attributes["exp"] = json!(exp);
    }
    if let Some(nbf) = secret.nbf {
        attributes["nbf"] = json!(nbf);
    }
    let mut bundle = json!({
        "value": secret.value,
        "id": format!("https://{host}/secrets/{name}/{id}"),
        "attributes": attributes,
        "tags": secret.tags,
    });
    if let Some(content_type) = &secret.content_type {
        bundle["contentType"] = json!(content_type);
    }
    json_response(StatusCode::OK, bundle, &[])
}

fn error(
    status: StatusCode,
    code: &str,
    message: &str,
    inner: Option<&str>,
) -> Response<Full<Bytes>> {
    let mut detail = json!({"code": code, "message": message});
    if let Some(inner) = inner {
        detail["innererror"] = json!({"code": inner});
    }
    json_response(status, json!({"error": detail}), &[])
}

fn json_response(
    status: StatusCode,
    body: Value,
    headers: &[(&str, &str)],
) -> Response<Full<Bytes>> {
    let mut response = Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-ms-keyvault-service-version", "1.9.2000.1")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    for (name, value) in headers {
        response.headers_mut().insert(
            hyper::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    response
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
