//! The task definition of a version: the app container gets `DEPLOYMENT_NAME` and
//! `DEPLOYMENT_ID` in its environment, its port is found, and a fingerprint says whether a
//! re-run deploys the same thing (it then resumes) or something else (refused).

use anyhow::Context as _;
use serde_json::Value;

/// The app container of a version's task definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The definition to register.
    pub document: Value,
    /// The container that receives traffic.
    pub container: String,
    /// Its port.
    pub port: i32,
    /// A fingerprint of the definition (16 hex digits).
    pub fingerprint: String,
}

/// Adds the deployment's variables to `container` (default: the first container) and finds
/// its port (`port`, or its first port mapping).
pub fn prepare(
    document: &Value,
    container: Option<&str>,
    port: Option<i32>,
    name: &str,
    id: &str,
) -> anyhow::Result<Prepared> {
    let containers = document["containerDefinitions"]
        .as_array()
        .context("the task definition has no containerDefinitions")?;
    let names: Vec<&str> = containers
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let chosen = match container {
        Some(wanted) => containers
            .iter()
            .find(|c| c["name"] == wanted)
            .with_context(|| {
                format!(
                    "input 'container-name': the task definition has no container '{wanted}' (it has: {})",
                    names.join(", ")
                )
            })?,
        None => containers
            .first()
            .context("the task definition has no container")?,
    };
    let container = chosen["name"].as_str().unwrap_or_default().to_owned();
    let mapped = chosen["portMappings"]
        .as_array()
        .and_then(|m| m.first())
        .and_then(|m| match &m["containerPort"] {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
        .and_then(|p| i32::try_from(p).ok());
    let port = port.or(mapped).with_context(|| {
        format!("input 'container-port' is required: container '{container}' has no port mapping")
    })?;
    let image = chosen["image"].as_str().unwrap_or_default().to_owned();
    let edits = render_taskdef::edits::Edits {
        images: vec![(container.clone(), image)],
        environment: vec![
            ("DEPLOYMENT_NAME".to_owned(), name.to_owned()),
            ("DEPLOYMENT_ID".to_owned(), id.to_owned()),
        ],
        ..Default::default()
    };
    let mut document = document.clone();
    edits.apply(&mut document)?;
    let fingerprint = crate::versions::names::fingerprint(&document.to_string());
    Ok(Prepared {
        document,
        container,
        port,
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_container_learns_its_deployment() {
        let document = serde_json::json!({
            "family": "web",
            "containerDefinitions": [
                {"name": "proxy", "image": "envoy"},
                {"name": "app", "image": "app:1", "portMappings": [{"containerPort": "8000"}],
                 "environment": [{"name": "DEPLOYMENT_ID", "value": "stale"}, {"name": "A", "value": "1"}]}
            ]
        });
        let prepared = prepare(&document, Some("app"), None, "prod", "v2").expect("prepared");
        assert_eq!(prepared.port, 8000);
        assert_eq!(prepared.container, "app");
        let env = &prepared.document["containerDefinitions"][1]["environment"];
        assert_eq!(
            env,
            &serde_json::json!([
                {"name": "DEPLOYMENT_ID", "value": "v2"},
                {"name": "A", "value": "1"},
                {"name": "DEPLOYMENT_NAME", "value": "prod"}
            ])
        );
        assert_eq!(
            prepared.document["containerDefinitions"][1]["image"],
            "app:1"
        );
        let again = prepare(&document, Some("app"), None, "prod", "v2").expect("prepared");
        assert_eq!(again.fingerprint, prepared.fingerprint);
        let other = prepare(&document, Some("app"), None, "prod", "v3").expect("prepared");
        assert_ne!(other.fingerprint, prepared.fingerprint);
        let error = prepare(&document, None, None, "prod", "v2").expect_err("no port");
        assert!(
            error
                .to_string()
                .contains("input 'container-port' is required"),
            "{error}"
        );
        let error = prepare(&document, Some("api"), None, "prod", "v2").expect_err("no such");
        assert!(
            error.to_string().contains("(it has: proxy, app)"),
            "{error}"
        );
    }
}
