//! `cargo bench -p s3-publish`: the action against the AWS emulator on a generated
//! 10,000-file site. A full publish to an empty bucket, then a re-publish after a rebuild that
//! changed one file (every modification time new, as in CI), one with nothing changed, and one
//! more with one file changed but the manifest deleted first (every object read with
//! `HeadObject`, as before the manifest): wall time, PUT, HEAD and GET requests and bytes sent
//! for each, and the first re-publish as a ratio of the full publish.
#![allow(clippy::print_stdout)]

use std::path::Path;
use std::time::{Duration, Instant};

use test_harness::{ActionRun, Emulator, FaultProxy, unique_name};

const BIN: &str = env!("CARGO_BIN_EXE_s3-publish");
const FILES: usize = 10_000;
const PAGES: usize = 200;

/// Writes the site: `PAGES` pages and hashed assets of 1 to 4 KiB.
fn generate(dist: &Path) -> anyhow::Result<()> {
    for n in 0..FILES {
        let (path, body) = if n < PAGES {
            (
                format!("pages/{}/page-{n}.html", n % 20),
                format!(
                    "<html><script src=\"/assets/chunk-{:08x}.js\"></script></html>",
                    n + 0xa0000000
                ),
            )
        } else {
            let size = 1024 + (n * 37) % 3072;
            (
                format!("assets/{}/chunk-{:08x}.js", n % 50, n + 0xa0000000),
                format!("/* {n} */") + &"x".repeat(size),
            )
        };
        let path = dist.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, body)?;
    }
    Ok(())
}

/// One measured run.
struct Measure {
    time: Duration,
    puts: usize,
    heads: usize,
    gets: usize,
    sent: usize,
    uploaded: String,
}

fn publish(emulator: &Emulator, workspace: &Path, bucket: &str) -> anyhow::Result<Measure> {
    let proxy = FaultProxy::start(emulator.addr(), Vec::new())?;
    let started = Instant::now();
    let result = ActionRun::new(BIN)?
        .envs(Emulator::aws_env(&proxy.endpoint()))
        .workspace(workspace)
        .input("source", "dist")
        .input("bucket", bucket)
        .input("concurrency", "32")
        .run()?;
    let time = started.elapsed();
    anyhow::ensure!(result.code == 0, "the publish failed:\n{}", result.log());
    let calls = proxy.calls();
    Ok(Measure {
        time,
        puts: calls.iter().filter(|c| c.operation == "PutObject").count(),
        heads: calls.iter().filter(|c| c.operation == "HeadObject").count(),
        gets: calls.iter().filter(|c| c.operation == "GetObject").count(),
        sent: calls.iter().map(|c| c.body.len()).sum(),
        uploaded: result.output("bytes-uploaded").to_owned(),
    })
}

fn report(label: &str, m: &Measure) {
    println!(
        "{label:<36} {:>6.2} s  {:>6} PUT  {:>6} HEAD  {:>2} GET  {:>10} bytes sent  ({} bytes of files uploaded)",
        m.time.as_secs_f64(),
        m.puts,
        m.heads,
        m.gets,
        m.sent,
        m.uploaded
    );
}

fn main() -> anyhow::Result<()> {
    let emulator = Emulator::start()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let bucket = unique_name("bench");
    let s3 = runtime.block_on(async {
        let config = Emulator::sdk_config(emulator.endpoint()).await;
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        )
    });
    runtime.block_on(s3.create_bucket().bucket(&bucket).send())?;
    let workspace = tempfile::tempdir()?;
    let dist = workspace.path().join("dist");
    generate(&dist)?;
    println!("s3-publish on a generated site of {FILES} files, against the AWS emulator");

    let full = publish(&emulator, workspace.path(), &bucket)?;
    report("full publish", &full);

    // A rebuild: the same site written again (new modification times), one page changed.
    std::fs::remove_dir_all(&dist)?;
    generate(&dist)?;
    std::fs::write(dist.join("pages/0/page-0.html"), "<html>changed</html>")?;
    let again = publish(&emulator, workspace.path(), &bucket)?;
    report("re-publish, 1 file changed", &again);

    let unchanged = publish(&emulator, workspace.path(), &bucket)?;
    report("re-publish, nothing changed", &unchanged);

    runtime.block_on(
        s3.delete_object()
            .bucket(&bucket)
            .key(".s3-publish-manifest.json")
            .send(),
    )?;
    std::fs::write(dist.join("pages/1/page-1.html"), "<html>changed</html>")?;
    let fallback = publish(&emulator, workspace.path(), &bucket)?;
    report("re-publish, 1 changed, no manifest", &fallback);

    let ratio = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
    println!(
        "re-publish / full publish: time {:.3}, PUT requests {:.2e}, bytes sent {:.2e}",
        ratio(again.time.as_secs_f64(), full.time.as_secs_f64()),
        ratio(again.puts as f64, full.puts as f64),
        ratio(again.sent as f64, full.sent as f64)
    );
    println!(
        "re-publish with / without the manifest: time {:.3}",
        ratio(again.time.as_secs_f64(), fallback.time.as_secs_f64())
    );
    Ok(())
}
