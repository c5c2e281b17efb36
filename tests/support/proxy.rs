//! A fault-injecting proxy in front of a real server: it forwards each HTTP/1.1 request as it
//! came and counts them by `X-Amz-Target`, or answers with a documented AWS error, drops the
//! connection or stalls. moto has no fault injection of its own (ARCHITECTURE.md §Tests).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Forward everything.
    None,
    /// Answer `BatchGetSecretValue` with `AccessDeniedException`, as IAM does when only
    /// `GetSecretValue` is allowed; forward the rest.
    DenyBatch,
    /// Answer every call with this documented error code (`AccessDeniedException`,
    /// `DecryptionFailure`, …).
    Answer(&'static str),
    /// Answer the first N calls with `ThrottlingException`, then forward.
    Throttle(usize),
    /// Close each connection without an answer.
    Drop,
    /// Forward the first N calls, then close each connection without an answer (a store that
    /// went away).
    DropAfter(usize),
    /// Never answer.
    Stall,
    /// Forward every request, but cut every Nth answer in the middle and close the connection
    /// (a load balancer that drops a connection mid-body).
    CutEvery(usize),
    /// Answer every Nth request with a proxy's HTML 502 page; forward the rest.
    BadGatewayEvery(usize),
    /// Forward every request after this many milliseconds (a slow store).
    Delay(u64),
}

pub struct Proxy {
    pub url: String,
    /// The `X-Amz-Target` operation of every request that reached the proxy, in order.
    calls: Arc<Mutex<Vec<String>>>,
    /// Requests being served now, and the most at once.
    in_flight: Arc<(AtomicUsize, AtomicUsize)>,
}

impl Proxy {
    pub fn start(upstream: &str, fault: Fault) -> Self {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("an http:// upstream")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(AtomicUsize::new(0));
        let in_flight = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        {
            let (calls, in_flight) = (calls.clone(), in_flight.clone());
            std::thread::spawn(move || {
                for client in listener.incoming() {
                    let Ok(client) = client else { continue };
                    let (calls, seen, upstream) = (calls.clone(), seen.clone(), upstream.clone());
                    let in_flight = in_flight.clone();
                    std::thread::spawn(move || {
                        let _ = serve(client, &upstream, fault, &calls, &seen, &in_flight);
                    });
                }
            });
        }
        Self {
            url,
            calls,
            in_flight,
        }
    }

    /// The most requests that were being served at once.
    pub fn peak_in_flight(&self) -> usize {
        self.in_flight.1.load(Ordering::SeqCst)
    }

    /// How many requests named `operation` (e.g. `BatchGetSecretValue`) arrived.
    pub fn count(&self, operation: &str) -> usize {
        self.count_where(|c| c == operation)
    }

    /// How many requests whose operation `matches`.
    pub fn count_where(&self, matches: impl Fn(&str) -> bool) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| matches(c))
            .count()
    }

    pub fn reset(&self) {
        self.calls.lock().unwrap().clear();
    }
}

/// Serves the requests of one connection until either side closes it.
fn serve(
    mut client: TcpStream,
    upstream: &str,
    fault: Fault,
    calls: &Mutex<Vec<String>>,
    seen: &AtomicUsize,
    in_flight: &(AtomicUsize, AtomicUsize),
) -> std::io::Result<()> {
    loop {
        let Some((request, operation)) = read_request(&mut client)? else {
            return Ok(());
        };
        let now = in_flight.0.fetch_add(1, Ordering::SeqCst) + 1;
        in_flight.1.fetch_max(now, Ordering::SeqCst);
        let served = answer(
            &mut client,
            upstream,
            fault,
            calls,
            seen,
            request,
            operation,
        );
        in_flight.0.fetch_sub(1, Ordering::SeqCst);
        if !served? {
            return Ok(());
        }
    }
}

/// Answers one request; `Ok(false)` when the connection is done.
fn answer(
    client: &mut TcpStream,
    upstream: &str,
    fault: Fault,
    calls: &Mutex<Vec<String>>,
    seen: &AtomicUsize,
    request: Vec<u8>,
    operation: String,
) -> std::io::Result<bool> {
    calls.lock().unwrap().push(operation.clone());
    let n = seen.fetch_add(1, Ordering::SeqCst);
    let done = |written: std::io::Result<()>| written.map(|()| false);
    match fault {
        Fault::Drop => return Ok(false),
        Fault::DropAfter(first) if n >= first => return Ok(false),
        Fault::Stall => {
            std::thread::sleep(Duration::from_secs(120));
            return Ok(false);
        }
        Fault::Answer(code) => return done(aws_error(client, code, &operation)),
        Fault::DenyBatch if operation == "BatchGetSecretValue" => {
            return done(aws_error(client, "AccessDeniedException", &operation));
        }
        Fault::Throttle(first) if n < first => {
            return done(aws_error(client, "ThrottlingException", &operation));
        }
        Fault::BadGatewayEvery(every) if n % every == every - 1 => {
            let body = "<html><body><h1>502 Bad Gateway</h1></body></html>\n";
            return done(client.write_all(
                format!(
                    "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            ));
        }
        Fault::Delay(ms) => std::thread::sleep(Duration::from_millis(ms)),
        _ => {}
    }
    // One request per upstream connection: asked to close, the server marks the end of the
    // answer by closing.
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(&close_after(&request))?;
    let mut response = Vec::new();
    server.read_to_end(&mut response)?;
    if let Fault::CutEvery(every) = fault
        && n % every == every - 1
    {
        // The head and half the body, then the connection closes.
        let body = find(&response, b"\r\n\r\n").map_or(0, |i| i + 4);
        let cut = body + (response.len() - body) / 2;
        return done(client.write_all(&response[..cut]));
    }
    client.write_all(&response)?;
    Ok(!contains(&response, b"onnection: close"))
}

/// The request with `Connection: close` in place of any `Connection` header.
fn close_after(request: &[u8]) -> Vec<u8> {
    let end = find(request, b"\r\n\r\n").expect("a whole head") + 2;
    let head = String::from_utf8_lossy(&request[..end]);
    let mut out: Vec<u8> = Vec::with_capacity(request.len() + 20);
    for line in head.split_inclusive("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.extend_from_slice(line.as_bytes());
        }
    }
    out.extend_from_slice(b"Connection: close\r\n");
    out.extend_from_slice(&request[end..]);
    out
}

/// One request's bytes and what it asks: its `X-Amz-Target` operation (AWS), else the method
/// and path without the query (`GET /v1/secret/data/app`); `None` at the end of the stream.
fn read_request(client: &mut TcpStream) -> std::io::Result<Option<(Vec<u8>, String)>> {
    let mut buffer = Vec::new();
    let mut byte = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find(&buffer, b"\r\n\r\n") {
            break i + 4;
        }
        let n = client.read(&mut byte)?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&byte[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = client.read(&mut byte)?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&byte[..n]);
    }
    let operation = header("x-amz-target")
        .and_then(|t| t.rsplit('.').next().map(str::to_owned))
        .unwrap_or_else(|| {
            let request_line = head.lines().next().unwrap_or_default();
            let mut parts = request_line.split(' ');
            let method = parts.next().unwrap_or_default();
            let target = parts.next().unwrap_or_default();
            format!("{method} {}", target.split('?').next().unwrap_or_default())
        });
    Ok(Some((buffer, operation)))
}

/// An error as AWS's JSON 1.1 protocol sends it: status 400, `__type` and `message`.
fn aws_error(client: &mut TcpStream, code: &str, operation: &str) -> std::io::Result<()> {
    let message = match code {
        "AccessDeniedException" => format!(
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: secretsmanager:{operation} because no identity-based policy allows the secretsmanager:{operation} action"
        ),
        "DecryptionFailure" => {
            "Secrets Manager can't decrypt the protected secret text using the provided KMS key."
                .to_owned()
        }
        _ => "Rate exceeded".to_owned(),
    };
    let body = format!(r#"{{"__type":"{code}","message":"{message}"}}"#);
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    client.write_all(response.as_bytes())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}
