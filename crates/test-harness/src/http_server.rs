//! A small HTTP/1 server on a loopback port, run on its own thread and runtime so it answers
//! whether the test awaits, blocks on a child process, or neither.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ….
    pub method: String,
    /// Path and query, e.g. `/token?audience=x`.
    pub path_and_query: String,
    /// Headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.path_and_query.split('?').next().unwrap_or_default()
    }

    /// The body as text.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What a handler does with a request: answer it, or drop the connection.
pub(crate) enum Reply {
    Respond(Response<Full<Bytes>>),
    DropConnection,
}

pub(crate) type HandlerFuture = Pin<Box<dyn Future<Output = Reply> + Send>>;
pub(crate) type Handler = Arc<dyn Fn(RecordedRequest) -> HandlerFuture + Send + Sync>;

/// A running server; it stops when dropped.
#[derive(Debug)]
pub(crate) struct BackgroundServer {
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

/// The error a handler's service returns to make hyper close the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

impl BackgroundServer {
    /// Serves `handler` on a free loopback port.
    pub(crate) fn start(handler: Handler) -> anyhow::Result<Self> {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").context("bind a loopback port")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("start the server's runtime")?;
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                tokio::select! {
                    _ = stopped => {}
                    () = accept_loop(listener, handler) => {}
                }
            });
        });
        Ok(Self { addr, _stop: stop })
    }

    /// Where it listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, handler: Handler) {
    while let Ok((stream, _)) = listener.accept().await {
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let handler = handler.clone();
                async move {
                    let recorded = record(request).await;
                    match handler(recorded).await {
                        Reply::Respond(response) => Ok::<_, Dropped>(response),
                        Reply::DropConnection => Err(Dropped),
                    }
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn record(request: Request<Incoming>) -> RecordedRequest {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    RecordedRequest {
        method: parts.method.to_string(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map(ToString::to_string)
            .unwrap_or_else(|| "/".into()),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    }
}

/// A response with a status, headers and a body.
pub(crate) fn response(
    status: u16,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Full::new(body.into()))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::from_static(b"bad stub response"))))
}
