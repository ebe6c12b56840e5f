//! Services whose deployment controller is CODE_DEPLOY: the AppSpec sent to CodeDeploy (the
//! user's file with every ECS resource pointed at the new task definition, keys matched
//! case-insensitively as the anchor action does), and what a deployment's status means.

use anyhow::{Context as _, bail};
use serde_json::Value;

/// What CreateDeployment gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDeployRequest {
    /// The CodeDeploy application.
    pub application: String,
    /// Its deployment group.
    pub deployment_group: String,
    /// A deployment configuration name, when not the group's.
    pub config: Option<String>,
    /// The description (at most 512 characters).
    pub description: Option<String>,
    /// The AppSpec, as JSON text.
    pub appspec: String,
}

/// The CodeDeploy settings of a deploy, before the task definition is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDeploySettings {
    /// The AppSpec file, parsed (JSON or YAML).
    pub appspec: Value,
    /// Application name; default `AppECS-<cluster>-<service>`.
    pub application: Option<String>,
    /// Deployment group; default `DgpECS-<cluster>-<service>`.
    pub deployment_group: Option<String>,
    /// Deployment configuration name.
    pub config: Option<String>,
    /// Description.
    pub description: Option<String>,
}

impl CodeDeploySettings {
    /// The request that deploys `task_definition` to `cluster`/`service`.
    pub fn request(
        &self,
        cluster: &str,
        service: &str,
        task_definition: &str,
    ) -> anyhow::Result<CodeDeployRequest> {
        let appspec = point_at(&self.appspec, task_definition)?;
        Ok(CodeDeployRequest {
            application: self
                .application
                .clone()
                .unwrap_or_else(|| format!("AppECS-{cluster}-{service}")),
            deployment_group: self
                .deployment_group
                .clone()
                .unwrap_or_else(|| format!("DgpECS-{cluster}-{service}")),
            config: self.config.clone(),
            description: self
                .description
                .as_ref()
                .map(|d| d.chars().take(512).collect()),
            appspec: appspec.to_string(),
        })
    }
}

/// Parses an AppSpec file (YAML, of which JSON is a part).
pub fn parse_appspec(text: &str, file: &str) -> anyhow::Result<Value> {
    let value: Value = serde_yaml::from_str(text)
        .with_context(|| format!("input 'codedeploy-appspec': {file} is not valid YAML or JSON"))?;
    if key(&value, "resources").is_none() {
        bail!("input 'codedeploy-appspec': {file} has no 'Resources' list");
    }
    Ok(value)
}

/// The key of `object` equal to `wanted` ignoring case.
fn key<'a>(object: &'a Value, wanted: &str) -> Option<&'a str> {
    object
        .as_object()?
        .keys()
        .find(|k| k.eq_ignore_ascii_case(wanted))
        .map(String::as_str)
}

/// The AppSpec with the `TaskDefinition` property of every resource set to `task_definition`.
fn point_at(appspec: &Value, task_definition: &str) -> anyhow::Result<Value> {
    let mut appspec = appspec.clone();
    let resources_key = key(&appspec, "resources")
        .context("the AppSpec has no 'Resources' list")?
        .to_owned();
    let resources = appspec[&resources_key]
        .as_array_mut()
        .context("the AppSpec's 'Resources' is not a list")?;
    for resource in resources.iter_mut().filter_map(Value::as_object_mut) {
        for target in resource.values_mut() {
            let Some(properties_key) = key(target, "properties").map(str::to_owned) else {
                continue;
            };
            let properties = &mut target[&properties_key];
            let name = key(properties, "taskdefinition")
                .unwrap_or("TaskDefinition")
                .to_owned();
            if let Some(properties) = properties.as_object_mut() {
                properties.insert(name, Value::String(task_definition.to_owned()));
            }
        }
    }
    Ok(appspec)
}

/// How a CodeDeploy deployment stands, from GetDeployment's `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeploymentStatus {
    /// Created, Queued, InProgress, Baking, Ready.
    Going(String),
    /// Succeeded.
    Succeeded,
    /// Failed or Stopped, with CodeDeploy's message.
    Failed(String),
}

/// Judges GetDeployment's `status` and `errorInformation.message`.
pub fn judge(status: &str, message: Option<&str>) -> DeploymentStatus {
    match status {
        "Succeeded" => DeploymentStatus::Succeeded,
        "Failed" | "Stopped" => DeploymentStatus::Failed(format!(
            "CodeDeploy deployment {}: {}",
            status.to_lowercase(),
            message.unwrap_or("no message")
        )),
        other => DeploymentStatus::Going(other.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:8";

    #[test]
    fn every_resource_points_at_the_new_revision() {
        let appspec = parse_appspec(
            "version: 0.0\nresources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      properties:\n        taskdefinition: old\n        LoadBalancerInfo:\n          ContainerName: api\n          ContainerPort: 8080\n",
            "appspec.yaml",
        )
        .expect("valid");
        let settings = CodeDeploySettings {
            appspec,
            application: None,
            deployment_group: None,
            config: None,
            description: Some("x".repeat(600)),
        };
        let request = settings.request("prod", "api", NEW).expect("request");
        assert_eq!(request.application, "AppECS-prod-api");
        assert_eq!(request.deployment_group, "DgpECS-prod-api");
        assert_eq!(request.description.map(|d| d.len()), Some(512));
        let sent: Value = serde_json::from_str(&request.appspec).expect("json");
        assert_eq!(
            sent["resources"][0]["TargetService"]["properties"],
            serde_json::json!({"taskdefinition": NEW, "LoadBalancerInfo": {"ContainerName": "api", "ContainerPort": 8080}})
        );
    }

    #[test]
    fn a_file_without_resources_is_refused_and_statuses_are_judged() {
        let error = parse_appspec("version: 0.0\n", "appspec.yaml").expect_err("no resources");
        assert_eq!(
            error.to_string(),
            "input 'codedeploy-appspec': appspec.yaml has no 'Resources' list"
        );
        assert_eq!(judge("Succeeded", None), DeploymentStatus::Succeeded);
        assert_eq!(
            judge("InProgress", None),
            DeploymentStatus::Going("InProgress".into())
        );
        assert_eq!(
            judge("Failed", Some("health checks failed")),
            DeploymentStatus::Failed("CodeDeploy deployment failed: health checks failed".into())
        );
    }
}
