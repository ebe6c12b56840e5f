//! A fault-injecting proxy between the AWS SDK and the emulator.
//!
//! Point `AWS_ENDPOINT_URL` at the proxy instead of the emulator. Every call is recorded by
//! service and operation (so tests can count API calls), and rules answer chosen calls with a
//! fault instead of forwarding them: "the 3rd PutObject is throttled", "every
//! UpdateService drops the connection".

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::http_server::{BackgroundServer, RecordedRequest, Reply, response};

/// What the proxy does instead of forwarding a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The service's throttling error (`ThrottlingException`, `Throttling` or S3's `SlowDown`).
    Throttle,
    /// HTTP 500 with the service's internal-error code.
    ServerError,
    /// Waits this long, then forwards the call.
    Delay(Duration),
    /// Closes the connection without an answer.
    DropConnection,
    /// Forwards the call, then edits its JSON answer: drives state the emulator cannot reach
    /// (ECS rollouts it never moves). A test or demo that uses it says what it simulates.
    Rewrite(Rewriter),
}

/// An edit of a JSON answer, for [`Fault::Rewrite`].
#[derive(Debug, Clone, Copy)]
pub struct Rewriter(pub fn(&mut serde_json::Value));

impl PartialEq for Rewriter {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::fn_addr_eq(self.0, other.0)
    }
}

impl Eq for Rewriter {}

/// Which occurrences of an operation a rule applies to (counted from 1, per operation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occurrence {
    Nth(usize),
    FirstN(usize),
    Every,
}

/// A fault for some calls of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    operation: String,
    occurrence: Occurrence,
    fault: Fault,
}

impl Rule {
    /// Every call of `operation` (e.g. `PutObject`, `RegisterTaskDefinition`) gets `fault`.
    pub fn every(operation: &str, fault: Fault) -> Self {
        Self {
            operation: operation.to_owned(),
            occurrence: Occurrence::Every,
            fault,
        }
    }

    /// Only the `n`-th call (1-based).
    #[must_use]
    pub fn nth(mut self, n: usize) -> Self {
        self.occurrence = Occurrence::Nth(n);
        self
    }

    /// Only the first `n` calls.
    #[must_use]
    pub fn first(mut self, n: usize) -> Self {
        self.occurrence = Occurrence::FirstN(n);
        self
    }

    fn applies(&self, operation: &str, count: usize) -> bool {
        self.operation == operation
            && match self.occurrence {
                Occurrence::Nth(n) => count == n,
                Occurrence::FirstN(n) => count <= n,
                Occurrence::Every => true,
            }
    }
}

/// One call seen by the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The SigV4 service name (`ecs`, `s3`, `elasticloadbalancing`, …), or `-` when unsigned.
    pub service: String,
    /// The operation, e.g. `RegisterTaskDefinition`.
    pub operation: String,
    /// The request's path and query (for REST services such as S3, the bucket and key).
    pub path: String,
    /// The access key ID that signed it, or `-` when unsigned.
    pub access_key: String,
    /// The fault injected, if any.
    pub fault: Option<Fault>,
    /// The request body, as text.
    pub body: String,
}

#[derive(Debug, Default)]
struct ProxyState {
    rules: Vec<Rule>,
    counts: HashMap<String, usize>,
    calls: Vec<Call>,
}

/// A running fault proxy.
#[derive(Debug)]
pub struct FaultProxy {
    server: BackgroundServer,
    state: Arc<Mutex<ProxyState>>,
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` with these rules.
    pub fn start(upstream: SocketAddr, rules: Vec<Rule>) -> anyhow::Result<Self> {
        let state = Arc::new(Mutex::new(ProxyState {
            rules,
            ..ProxyState::default()
        }));
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let shared = state.clone();
        let server = BackgroundServer::start(Arc::new(move |request| {
            let fault = shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .decide(&request);
            let client = client.clone();
            Box::pin(async move {
                match fault {
                    Some(Fault::DropConnection) => Reply::DropConnection,
                    Some(Fault::Throttle) => Reply::Respond(throttle_answer(&request)),
                    Some(Fault::ServerError) => Reply::Respond(server_error_answer(&request)),
                    Some(Fault::Delay(pause)) => {
                        tokio::time::sleep(pause).await;
                        forward(&client, upstream, request).await
                    }
                    Some(Fault::Rewrite(rewriter)) => {
                        forward_rewritten(&client, upstream, request, rewriter).await
                    }
                    None => forward(&client, upstream, request).await,
                }
            })
        }))
        .context("start the fault proxy")?;
        Ok(Self { server, state })
    }

    /// `http://127.0.0.1:<port>`: the endpoint to give the SDK.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .calls
            .clone()
    }

    /// The JSON body of the first call of `operation` (JSON-protocol calls such as ECS's).
    pub fn first_json_body(&self, operation: &str) -> anyhow::Result<serde_json::Value> {
        let call = self
            .calls()
            .into_iter()
            .find(|c| c.operation == operation)
            .with_context(|| format!("no {operation} call"))?;
        serde_json::from_str(&call.body).with_context(|| format!("{operation}'s body is not JSON"))
    }

    /// How many calls of `operation` were seen (faulted ones included).
    pub fn count(&self, operation: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.operation == operation)
            .count()
    }
}

impl ProxyState {
    fn decide(&mut self, request: &RecordedRequest) -> Option<Fault> {
        let operation = operation_name(request);
        let count = self.counts.entry(operation.clone()).or_default();
        *count += 1;
        let count = *count;
        let fault = self
            .rules
            .iter()
            .find(|rule| rule.applies(&operation, count))
            .map(|rule| rule.fault);
        self.calls.push(Call {
            service: signing_service(request).unwrap_or("-").to_owned(),
            access_key: credential_scope(request)
                .and_then(|s| s.split('/').next())
                .unwrap_or("-")
                .to_owned(),
            operation,
            path: request.path_and_query.clone(),
            fault,
            body: request.body_text(),
        });
        fault
    }
}

async fn forward(
    client: &Client<HttpConnector, Full<Bytes>>,
    upstream: SocketAddr,
    request: RecordedRequest,
) -> Reply {
    match upstream_answer(client, upstream, request).await {
        Ok((parts, body)) => Reply::Respond(hyper::Response::from_parts(parts, Full::new(body))),
        Err(reply) => reply,
    }
}

/// Sends `request` to the upstream; its answer, or the 502 reply saying why there is none.
async fn upstream_answer(
    client: &Client<HttpConnector, Full<Bytes>>,
    upstream: SocketAddr,
    request: RecordedRequest,
) -> Result<(hyper::http::response::Parts, Bytes), Reply> {
    let uri = format!("http://{upstream}{}", request.path_and_query);
    let mut builder = hyper::Request::builder()
        .method(request.method.as_str())
        .uri(uri);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let Ok(outgoing) = builder.body(Full::new(request.body)) else {
        return Err(Reply::Respond(response(502, &[], "proxy: bad request")));
    };
    match client.request(outgoing).await {
        Ok(answer) => {
            let (parts, body) = answer.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok((parts, body))
        }
        Err(error) => Err(Reply::Respond(response(
            502,
            &[],
            format!("proxy: upstream failed: {error}"),
        ))),
    }
}

/// The upstream's answer with its JSON body edited by `rewriter` (other answers pass
/// unchanged).
async fn forward_rewritten(
    client: &Client<HttpConnector, Full<Bytes>>,
    upstream: SocketAddr,
    request: RecordedRequest,
    rewriter: Rewriter,
) -> Reply {
    let (mut parts, body) = match upstream_answer(client, upstream, request).await {
        Ok(answer) => answer,
        Err(reply) => return reply,
    };
    let body = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(mut json) => {
            (rewriter.0)(&mut json);
            parts.headers.remove(hyper::header::CONTENT_LENGTH);
            Bytes::from(json.to_string())
        }
        Err(_) => body,
    };
    Reply::Respond(hyper::Response::from_parts(parts, Full::new(body)))
}

/// `AKID/date/region/service/aws4_request` from the `Authorization` header.
fn credential_scope(request: &RecordedRequest) -> Option<&str> {
    let auth = request.header("authorization")?;
    auth.split("Credential=").nth(1)?.split(',').next()
}

/// The SigV4 service from the credential scope.
fn signing_service(request: &RecordedRequest) -> Option<&str> {
    credential_scope(request)?.split('/').nth(3)
}

/// The wire protocol family of a call, which decides how errors are shaped.
#[derive(Debug, PartialEq, Eq)]
enum Protocol {
    Json,
    Query,
    RestXml,
}

fn protocol(request: &RecordedRequest) -> Protocol {
    if request.header("x-amz-target").is_some() {
        Protocol::Json
    } else if form_action(request).is_some() {
        Protocol::Query
    } else {
        Protocol::RestXml
    }
}

fn form_action(request: &RecordedRequest) -> Option<String> {
    let is_form = request
        .header("content-type")
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return None;
    }
    request
        .body_text()
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action=").map(str::to_owned))
}

/// The operation a call invokes: from `X-Amz-Target` (JSON protocols), the `Action` form field
/// (query protocols), or for S3 and other REST services from the method and URL.
fn operation_name(request: &RecordedRequest) -> String {
    if let Some(target) = request.header("x-amz-target") {
        return target.rsplit('.').next().unwrap_or(target).to_owned();
    }
    if let Some(action) = form_action(request) {
        return action;
    }
    if signing_service(request) == Some("s3") {
        return s3_operation(request).to_owned();
    }
    if let Some(operation) = cloudfront_operation(request) {
        return operation.to_owned();
    }
    format!("{} {}", request.method, request.path())
}

fn s3_operation(request: &RecordedRequest) -> &'static str {
    let query = request
        .path_and_query
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("");
    let has = |key: &str| {
        query
            .split('&')
            .any(|p| p == key || p.starts_with(&format!("{key}=")))
    };
    let has_key = request.path().trim_matches('/').contains('/');
    match (request.method.as_str(), has_key) {
        ("PUT", true) if has("partNumber") && request.header("x-amz-copy-source").is_some() => {
            "UploadPartCopy"
        }
        ("PUT", true) if has("partNumber") => "UploadPart",
        ("PUT", true) if request.header("x-amz-copy-source").is_some() => "CopyObject",
        ("PUT", true) => "PutObject",
        ("PUT", false) => "CreateBucket",
        ("POST", _) if has("uploads") => "CreateMultipartUpload",
        ("POST", _) if has("uploadId") => "CompleteMultipartUpload",
        ("POST", false) if has("delete") => "DeleteObjects",
        ("DELETE", true) if has("uploadId") => "AbortMultipartUpload",
        ("DELETE", true) => "DeleteObject",
        ("DELETE", false) => "DeleteBucket",
        ("HEAD", true) => "HeadObject",
        ("HEAD", false) => "HeadBucket",
        ("GET", true) => "GetObject",
        ("GET", false) if has("list-type") => "ListObjectsV2",
        ("GET", false) => "ListObjects",
        _ => "Unknown",
    }
}

/// CloudFront's distribution and invalidation calls, from the method and the path after the API
/// version (`/2020-05-31/distribution/E1/invalidation/I2`).
fn cloudfront_operation(request: &RecordedRequest) -> Option<&'static str> {
    if signing_service(request) != Some("cloudfront") {
        return None;
    }
    let segments: Vec<&str> = request
        .path()
        .trim_matches('/')
        .split('/')
        .skip(1)
        .collect();
    Some(match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["distribution"]) => "CreateDistribution",
        ("GET", ["distribution"]) => "ListDistributions",
        ("GET", ["distribution", _]) => "GetDistribution",
        ("DELETE", ["distribution", _]) => "DeleteDistribution",
        ("GET", ["distribution", _, "config"]) => "GetDistributionConfig",
        ("PUT", ["distribution", _, "config"]) => "UpdateDistribution",
        ("POST", ["distribution", _, "invalidation"]) => "CreateInvalidation",
        ("GET", ["distribution", _, "invalidation"]) => "ListInvalidations",
        ("GET", ["distribution", _, "invalidation", _]) => "GetInvalidation",
        _ => return None,
    })
}

fn throttle_answer(request: &RecordedRequest) -> hyper::Response<Full<Bytes>> {
    match protocol(request) {
        Protocol::Json => response(
            400,
            &[
                ("content-type", "application/x-amz-json-1.1"),
                ("x-amzn-errortype", "ThrottlingException"),
            ],
            r#"{"__type":"ThrottlingException","message":"Rate exceeded (injected by the fault proxy)"}"#,
        ),
        Protocol::Query => response(
            400,
            &[("content-type", "text/xml")],
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
             <Message>Rate exceeded (injected by the fault proxy)</Message></Error></ErrorResponse>",
        ),
        Protocol::RestXml => response(
            503,
            &[("content-type", "application/xml")],
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate. \
             (injected by the fault proxy)</Message></Error>",
        ),
    }
}

fn server_error_answer(request: &RecordedRequest) -> hyper::Response<Full<Bytes>> {
    match protocol(request) {
        Protocol::Json => response(
            500,
            &[
                ("content-type", "application/x-amz-json-1.1"),
                ("x-amzn-errortype", "InternalFailure"),
            ],
            r#"{"__type":"InternalFailure","message":"injected by the fault proxy"}"#,
        ),
        Protocol::Query => response(
            500,
            &[("content-type", "text/xml")],
            "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>\
             <Message>injected by the fault proxy</Message></Error></ErrorResponse>",
        ),
        Protocol::RestXml => response(
            500,
            &[("content-type", "application/xml")],
            "<Error><Code>InternalError</Code><Message>injected by the fault proxy</Message></Error>",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> RecordedRequest {
        RecordedRequest {
            method: method.into(),
            path_and_query: path.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: Bytes::from(body.to_owned()),
        }
    }

    const S3_AUTH: &str = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x";

    #[test]
    fn names_json_query_and_s3_operations() {
        let json = request(
            "POST",
            "/",
            &[(
                "x-amz-target",
                "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
            )],
            "{}",
        );
        assert_eq!(operation_name(&json), "RegisterTaskDefinition");
        let query = request(
            "POST",
            "/",
            &[(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            "Action=DescribeRules&Version=2015-12-01",
        );
        assert_eq!(operation_name(&query), "DescribeRules");
        assert_eq!(protocol(&query), Protocol::Query);
        let put = request(
            "PUT",
            "/bucket/assets/app.js",
            &[("authorization", S3_AUTH)],
            "",
        );
        assert_eq!(operation_name(&put), "PutObject");
        assert_eq!(signing_service(&put), Some("s3"));
        let part = request(
            "PUT",
            "/bucket/big.bin?partNumber=2&uploadId=u",
            &[("authorization", S3_AUTH)],
            "",
        );
        assert_eq!(operation_name(&part), "UploadPart");
        let list = request(
            "GET",
            "/bucket?list-type=2&prefix=a",
            &[("authorization", S3_AUTH)],
            "",
        );
        assert_eq!(operation_name(&list), "ListObjectsV2");
        let delete = request("POST", "/bucket?delete", &[("authorization", S3_AUTH)], "");
        assert_eq!(operation_name(&delete), "DeleteObjects");
    }

    #[test]
    fn names_cloudfront_operations() {
        const CF_AUTH: &str = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/cloudfront/aws4_request, SignedHeaders=host, Signature=x";
        let call = |method: &str, path: &str| {
            operation_name(&request(method, path, &[("authorization", CF_AUTH)], ""))
        };
        assert_eq!(
            call("POST", "/2020-05-31/distribution"),
            "CreateDistribution"
        );
        assert_eq!(
            call("GET", "/2020-05-31/distribution/E1"),
            "GetDistribution"
        );
        assert_eq!(
            call("POST", "/2020-05-31/distribution/E1/invalidation"),
            "CreateInvalidation"
        );
        assert_eq!(
            call("GET", "/2020-05-31/distribution/E1/invalidation/I2"),
            "GetInvalidation"
        );
        assert_eq!(
            call("GET", "/2020-05-31/distribution/E1/config"),
            "GetDistributionConfig"
        );
        assert_eq!(call("PATCH", "/2020-05-31/x"), "PATCH /2020-05-31/x");
    }

    #[test]
    fn rules_count_per_operation() {
        let mut state = ProxyState {
            rules: vec![Rule::every("PutObject", Fault::Throttle).nth(2)],
            ..ProxyState::default()
        };
        let put = request("PUT", "/b/k", &[("authorization", S3_AUTH)], "");
        let get = request("GET", "/b/k", &[("authorization", S3_AUTH)], "");
        assert_eq!(state.decide(&put), None);
        assert_eq!(state.decide(&get), None);
        assert_eq!(state.decide(&put), Some(Fault::Throttle));
        assert_eq!(state.decide(&put), None);
        let faulted: Vec<_> = state
            .calls
            .iter()
            .map(|c| (c.operation.as_str(), c.fault))
            .collect();
        assert_eq!(
            faulted,
            [
                ("PutObject", None),
                ("GetObject", None),
                ("PutObject", Some(Fault::Throttle)),
                ("PutObject", None)
            ]
        );
    }

    #[test]
    fn first_n_and_every() {
        let first = Rule::every("X", Fault::ServerError).first(2);
        assert!(first.applies("X", 1) && first.applies("X", 2) && !first.applies("X", 3));
        assert!(!first.applies("Y", 1));
        assert!(Rule::every("X", Fault::DropConnection).applies("X", 99));
    }
}
