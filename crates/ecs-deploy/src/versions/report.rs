//! What the versions' actions tell the person reading the run: outputs, and a job summary with
//! the versions table and the routing table.

use std::time::Duration;

use action_kit::Runner;
use serde_json::json;

use crate::versions::clock;
use crate::versions::deploy::{VersionOutcome, VersionPlan};
use crate::versions::inventory::Inventory;
use crate::versions::operations::ReapReport;

/// Outputs and summary of `ecs-deploy-version`.
pub(crate) fn deployed(
    runner: &Runner,
    plan: &VersionPlan,
    outcome: &VersionOutcome,
    took: Duration,
) -> anyhow::Result<()> {
    let now = clock::now();
    runner.set_output("deployment-id", &plan.id)?;
    runner.set_output("service", &outcome.service)?;
    runner.set_output("target-group-arn", &outcome.target_group)?;
    runner.set_output("rule-arns", &json!(outcome.rule_arns).to_string())?;
    runner.set_output("resumed", if outcome.resumed { "true" } else { "false" })?;
    runner.set_output(
        "versions",
        &outcome.inventory.versions_json(now).to_string(),
    )?;
    let reaped: Vec<&str> = outcome
        .reaped
        .iter()
        .flat_map(|r| r.reaped.iter().map(|(id, _)| id.as_str()))
        .collect();
    runner.set_output("reaped", &json!(reaped).to_string())?;
    let resumed = if outcome.resumed { " (resumed)" } else { "" };
    let mut text = format!(
        "### ecs-deploy-version\n\nVersion `{}` of `{}` is active{resumed}; took {} s.\n\n{}",
        plan.id,
        plan.scope.name,
        took.as_secs(),
        outcome.inventory.tables(now)
    );
    if let Some(report) = &outcome.reaped {
        text.push_str(&reap_section(report));
    }
    runner.append_summary(&text)
}

/// Outputs and summary of `ecs-versions`.
pub(crate) fn operated(
    runner: &Runner,
    operation: &str,
    inventory: &Inventory,
    report: Option<&ReapReport>,
) -> anyhow::Result<()> {
    let now = clock::now();
    runner.set_output("versions", &inventory.versions_json(now).to_string())?;
    let routes: Vec<serde_json::Value> = inventory
        .routing_table()
        .into_iter()
        .map(|r| json!({"request": r.request, "rule": r.rule, "lands-on": r.lands_on}))
        .collect();
    runner.set_output("routing", &serde_json::Value::Array(routes).to_string())?;
    let mut text = format!("### ecs-versions: {operation}\n\n{}", inventory.tables(now));
    if let Some(report) = report {
        let reaped: Vec<&str> = report.reaped.iter().map(|(id, _)| id.as_str()).collect();
        runner.set_output("reaped", &json!(reaped).to_string())?;
        let kept: serde_json::Map<String, serde_json::Value> = report
            .kept
            .iter()
            .chain(&report.unfinished)
            .map(|(id, why)| (id.clone(), json!(why)))
            .collect();
        runner.set_output("kept", &serde_json::Value::Object(kept).to_string())?;
        text.push_str(&reap_section(report));
    }
    runner.append_summary(&text)
}

/// The reap's table: what was removed, what is left, and why.
fn reap_section(report: &ReapReport) -> String {
    let mut table = action_kit::Table::new(["Version", "Outcome", "Why"]);
    for (id, why) in &report.reaped {
        table.row([id.as_str(), "reaped", why.as_str()]);
    }
    for (id, why) in &report.unfinished {
        table.row([id.as_str(), "partly reaped", why.as_str()]);
    }
    for (id, why) in &report.kept {
        table.row([id.as_str(), "kept", why.as_str()]);
    }
    format!("\n#### Reap\n\n{}", table.to_markdown())
}
