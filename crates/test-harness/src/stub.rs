//! A local HTTP server whose answers a test chooses, recording every request it gets.

use std::sync::{Arc, Mutex, PoisonError};

use crate::http_server::{BackgroundServer, RecordedRequest, Reply, response};

/// What a stub answers.
#[derive(Debug, Clone)]
pub struct StubResponse {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
}

impl StubResponse {
    /// A JSON answer.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    /// A plain-text answer.
    pub fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.to_owned(),
        }
    }
}

type StubHandler = dyn Fn(&RecordedRequest) -> StubResponse + Send + Sync;

/// A running stub server.
#[derive(Debug)]
pub struct StubServer {
    server: BackgroundServer,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl StubServer {
    /// Serves `handler` on a free loopback port.
    pub fn start(
        handler: impl Fn(&RecordedRequest) -> StubResponse + Send + Sync + 'static,
    ) -> anyhow::Result<Self> {
        let requests: Arc<Mutex<Vec<RecordedRequest>>> = Arc::default();
        let log = requests.clone();
        let handler: Arc<StubHandler> = Arc::new(handler);
        let server = BackgroundServer::start(Arc::new(move |request| {
            let answer = handler(&request);
            log.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(request);
            Box::pin(async move {
                let headers: Vec<(&str, &str)> = answer
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                Reply::Respond(response(answer.status, &headers, answer.body))
            })
        }))?;
        Ok(Self { server, requests })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
