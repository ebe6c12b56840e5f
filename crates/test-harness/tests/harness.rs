//! The harness itself: a real round trip through the emulator, and each fault of the proxy.

use std::time::{Duration, Instant};

use test_harness::{
    Emulator, Fault, FaultProxy, Rule, StubResponse, StubServer, aws_fixtures, unique_name,
};

#[tokio::test]
async fn round_trip_through_the_emulator() {
    let emulator = Emulator::shared();
    let config = Emulator::sdk_config(emulator.endpoint()).await;
    let repository = unique_name("round-trip");
    let digest = aws_fixtures::push_synthetic_image(&config, &repository, "v1", "round-trip")
        .await
        .expect("push");
    assert!(digest.starts_with("sha256:"), "{digest}");
    assert_eq!(
        aws_fixtures::tags_of(&config, &repository, &digest)
            .await
            .expect("tags"),
        ["v1"]
    );
}

#[tokio::test]
async fn proxy_counts_calls_and_injects_each_fault() {
    let emulator = Emulator::shared();
    let proxy = FaultProxy::start(
        emulator.addr(),
        vec![
            Rule::every("DescribeRepositories", Fault::Throttle).nth(1),
            Rule::every("DescribeRepositories", Fault::ServerError).nth(2),
            Rule::every("DescribeRepositories", Fault::DropConnection).nth(3),
            Rule::every("CreateRepository", Fault::Delay(Duration::from_millis(300))),
        ],
    )
    .expect("proxy");
    let config = Emulator::sdk_config(&proxy.endpoint()).await;
    let ecr = aws_sdk_ecr::Client::new(&config);
    let name = unique_name("proxied");

    let started = Instant::now();
    ecr.create_repository()
        .repository_name(&name)
        .send()
        .await
        .expect("delayed, then forwarded");
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Standard retries (3 attempts) absorb the throttle and the 500, but not a third fault.
    let failed = ecr
        .describe_repositories()
        .repository_names(&name)
        .send()
        .await;
    assert!(
        failed.is_err(),
        "three faults in a row exhaust three attempts"
    );
    let found = ecr
        .describe_repositories()
        .repository_names(&name)
        .send()
        .await
        .expect("clean call");
    assert_eq!(found.repositories().len(), 1);

    let faults: Vec<_> = proxy
        .calls()
        .into_iter()
        .filter(|c| c.operation == "DescribeRepositories")
        .map(|c| c.fault)
        .collect();
    assert_eq!(
        faults,
        [
            Some(Fault::Throttle),
            Some(Fault::ServerError),
            Some(Fault::DropConnection),
            None
        ]
    );
    assert!(
        proxy
            .calls()
            .iter()
            .all(|c| c.service == "ecr" && c.access_key == "testing")
    );
}

#[test]
fn stub_server_answers_and_records() {
    let stub = StubServer::start(|request| {
        if request.path() == "/ok" {
            StubResponse::json(200, &serde_json::json!({"value": "x"}))
        } else {
            StubResponse::text(404, "no")
        }
    })
    .expect("stub");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (ok, missing) = runtime.block_on(async {
        let found = http_get_status(&format!("{}/ok?a=1", stub.url())).await;
        let other = http_get_status(&format!("{}/nope", stub.url())).await;
        (found, other)
    });
    assert_eq!(ok, 200);
    assert_eq!(missing, 404);
    let requests = stub.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path_and_query, "/ok?a=1");
    assert_eq!(requests[0].method, "GET");
}

/// A bare HTTP/1.1 GET over a TCP stream, returning the status code.
async fn http_get_status(url: &str) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_once('/').expect("path");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let request = format!("GET /{path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line")
}
