//! What the inputs change in a task definition, parsed and checked first, then applied to the
//! JSON in the anchor action's order (so new keys land where it puts them).

use anyhow::{Context as _, bail};
use serde_json::{Map, Value, json};

/// Log drivers the anchor action accepts for `log-configuration-log-driver`.
pub const LOG_DRIVERS: [&str; 9] = [
    "json-file",
    "syslog",
    "journald",
    "logentries",
    "gelf",
    "fluentd",
    "awslogs",
    "splunk",
    "awsfirelens",
];

/// The changes one run makes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edits {
    /// Containers and the image each gets.
    pub images: Vec<(String, String)>,
    /// `environment-variables`, merged by name.
    pub environment: Vec<(String, String)>,
    /// `env-files`: replaces `environmentFiles`.
    pub env_files: Option<Vec<String>>,
    /// `secrets`, merged by name.
    pub secrets: Vec<(String, String)>,
    /// `log-configuration-log-driver`.
    pub log_driver: Option<String>,
    /// `log-configuration-options`, merged.
    pub log_options: Vec<(String, String)>,
    /// `docker-labels`, merged.
    pub docker_labels: Vec<(String, String)>,
    /// `command`, replacing the container's.
    pub command: Option<Vec<String>>,
    /// `task-role-arn`.
    pub task_role_arn: Option<String>,
    /// `execution-role-arn`.
    pub execution_role_arn: Option<String>,
}

/// `NAME=value` lines, split at the first `=`; blank lines are skipped.
pub fn parse_pairs(
    lines: &[String],
    error: impl Fn(&str) -> String,
) -> anyhow::Result<Vec<(String, String)>> {
    lines
        .iter()
        .map(|line| line.trim())
        .filter(|line| !line.is_empty())
        .map(|line| match line.split_once('=') {
            Some((name, value)) => Ok((name.to_owned(), value.to_owned())),
            None => bail!("{}", error(line)),
        })
        .collect()
}

/// `container-name`: one name or a comma-separated list, none empty (names are trimmed).
pub fn parse_container_names(text: &str) -> anyhow::Result<Vec<String>> {
    let names: Vec<String> = text.split(',').map(|n| n.trim().to_owned()).collect();
    if names.iter().any(String::is_empty) {
        bail!(
            "Invalid format for container name. Please use a single value or comma separated values"
        );
    }
    Ok(names)
}

/// `command`, split like a shell would: quotes group, runs of spaces separate.
pub fn parse_command(text: &str) -> anyhow::Result<Vec<String>> {
    shlex::split(text)
        .context("input 'command': unbalanced quotes (it is split like a shell command line)")
}

/// An IAM role ARN, as the anchor action checks it:
/// `arn:aws[-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f]:iam::<12 digits>:role/<name>`.
pub fn check_role_arn(input: &str, arn: &str) -> anyhow::Result<()> {
    let valid = (|| {
        let rest = arn.strip_prefix("arn:aws")?;
        let (partition, rest) = rest.split_once(':')?;
        if !["", "-cn", "-us-gov", "-iso", "-iso-b", "-iso-e", "-iso-f"].contains(&partition) {
            return None;
        }
        let rest = rest.strip_prefix("iam::")?;
        let (account, rest) = rest.split_once(':')?;
        let name = rest.strip_prefix("role/")?;
        (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty())
            .then_some(())
    })();
    if valid.is_none() {
        bail!(
            "Invalid ARN format for {input}. Expected format: arn:aws:iam::<account-id>:role/<role-name>"
        );
    }
    Ok(())
}

/// Checks the log driver input.
pub fn check_log_driver(driver: &str) -> anyhow::Result<()> {
    if !LOG_DRIVERS.contains(&driver) {
        bail!(
            "'{driver}' is invalid logConfigurationLogDriver. valid options are {}. More details: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LogConfiguration.html",
            LOG_DRIVERS.join(",")
        );
    }
    Ok(())
}

/// Merges `NAME=value` pairs into a list of `{name, <value_key>}` objects: an existing name is
/// updated in place, a new one appended.
fn merge_named(list: &mut Vec<Value>, pairs: &[(String, String)], value_key: &str) {
    for (name, value) in pairs {
        match list
            .iter_mut()
            .find(|item| item.get("name").and_then(Value::as_str) == Some(name))
        {
            Some(item) => item[value_key] = Value::String(value.clone()),
            None => list.push(json!({ "name": name, value_key: value })),
        }
    }
}

fn merge_map(map: &mut Map<String, Value>, pairs: &[(String, String)]) {
    for (key, value) in pairs {
        map.insert(key.clone(), Value::String(value.clone()));
    }
}

/// The container's list field `key`, created empty when absent.
fn list_field<'a>(
    container: &'a mut Map<String, Value>,
    key: &str,
) -> anyhow::Result<&'a mut Vec<Value>> {
    container
        .entry(key)
        .or_insert_with(|| Value::Array(Vec::new()))
        .as_array_mut()
        .with_context(|| format!("the container's {key} is not a list"))
}

fn object_field<'a>(
    container: &'a mut Map<String, Value>,
    key: &str,
) -> anyhow::Result<&'a mut Map<String, Value>> {
    container
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .with_context(|| format!("the container's {key} is not an object"))
}

impl Edits {
    /// Applies the edits to `document` (a definition with `containerDefinitions`).
    pub fn apply(&self, document: &mut Value) -> anyhow::Result<()> {
        let containers = document
            .get_mut("containerDefinitions")
            .and_then(Value::as_array_mut)
            .context("Invalid task definition format: containerDefinitions section is not present or is not an array")?;
        for (name, image) in &self.images {
            let Some(container) = containers
                .iter_mut()
                .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
                .and_then(Value::as_object_mut)
            else {
                let names: Vec<&str> = containers
                    .iter()
                    .filter_map(|c| c.get("name")?.as_str())
                    .collect();
                bail!(
                    "Invalid task definition: Could not find container definition with matching name '{name}' (the definition has: {})",
                    names.join(", ")
                );
            };
            self.apply_to_container(container, image)?;
        }
        if let Some(arn) = &self.task_role_arn {
            document["taskRoleArn"] = Value::String(arn.clone());
        }
        if let Some(arn) = &self.execution_role_arn {
            document["executionRoleArn"] = Value::String(arn.clone());
        }
        Ok(())
    }

    fn apply_to_container(
        &self,
        container: &mut Map<String, Value>,
        image: &str,
    ) -> anyhow::Result<()> {
        container.insert("image".into(), Value::String(image.to_owned()));
        if let Some(files) = &self.env_files {
            let files: Vec<Value> = files
                .iter()
                .map(|f| json!({"value": f, "type": "s3"}))
                .collect();
            container.insert("environmentFiles".into(), Value::Array(files));
        }
        if !self.environment.is_empty() {
            merge_named(
                list_field(container, "environment")?,
                &self.environment,
                "value",
            );
        }
        if !self.secrets.is_empty() {
            merge_named(
                list_field(container, "secrets")?,
                &self.secrets,
                "valueFrom",
            );
        }
        if self.log_driver.is_some() || !self.log_options.is_empty() {
            let log = object_field(container, "logConfiguration")?;
            if let Some(driver) = &self.log_driver {
                log.insert("logDriver".into(), Value::String(driver.clone()));
            }
            if !self.log_options.is_empty() {
                merge_map(object_field(log, "options")?, &self.log_options);
            }
        }
        if !self.docker_labels.is_empty() {
            merge_map(
                object_field(container, "dockerLabels")?,
                &self.docker_labels,
            );
        }
        if let Some(command) = &self.command {
            container.insert("command".into(), json!(command));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn pairs_split_at_the_first_equals() {
        let pairs = parse_pairs(&lines("A=1\n\n  B=x=y  \nC="), |l| l.to_owned()).expect("valid");
        assert_eq!(
            pairs,
            [
                ("A".into(), "1".into()),
                ("B".into(), "x=y".into()),
                ("C".into(), "".into())
            ]
        );
        let err = parse_pairs(&lines("A=1\nNOVALUE"), |l| format!("bad {l}")).expect_err("no =");
        assert_eq!(err.to_string(), "bad NOVALUE");
    }

    #[test]
    fn commands_split_like_a_shell() {
        assert_eq!(
            parse_command("npm  start -- --port 80").expect("valid"),
            ["npm", "start", "--", "--port", "80"]
        );
        assert_eq!(
            parse_command("sh -c 'alembic upgrade head'").expect("valid"),
            ["sh", "-c", "alembic upgrade head"]
        );
        assert!(parse_command("echo 'unclosed").is_err());
    }

    #[test]
    fn role_arns_are_checked_like_the_anchor() {
        for valid in [
            "arn:aws:iam::123456789012:role/app",
            "arn:aws-cn:iam::123456789012:role/path/app",
        ] {
            check_role_arn("task-role-arn", valid).expect(valid);
        }
        for invalid in [
            "arn:aws:iam::12345:role/app",
            "arn:aws:s3:::bucket",
            "arn:aws-x:iam::123456789012:role/a",
            "arn:aws:iam::123456789012:role/",
        ] {
            let err = check_role_arn("task-role-arn", invalid).expect_err(invalid);
            assert!(
                err.to_string()
                    .starts_with("Invalid ARN format for task-role-arn.")
            );
        }
    }

    #[test]
    fn container_names_may_not_be_empty() {
        assert_eq!(
            parse_container_names("web, sidecar").expect("valid"),
            ["web", "sidecar"]
        );
        assert!(parse_container_names("web,").is_err());
    }

    #[test]
    fn edits_merge_in_place_and_append_in_the_anchors_order() {
        let mut doc = json!({"family": "f", "containerDefinitions": [
            {"name": "web", "image": "old", "environment": [{"name": "A", "value": "0"}], "dockerLabels": {"x": "1"}}
        ]});
        let edits = Edits {
            images: vec![("web".into(), "new".into())],
            environment: vec![("A".into(), "1".into()), ("B".into(), "2".into())],
            secrets: vec![(
                "S".into(),
                "arn:aws:ssm:us-east-1:123456789012:parameter/s".into(),
            )],
            log_driver: Some("awslogs".into()),
            log_options: vec![("awslogs-group".into(), "/ecs/web".into())],
            docker_labels: vec![("y".into(), "2".into())],
            command: Some(vec!["run".into()]),
            task_role_arn: Some("arn:aws:iam::123456789012:role/app".into()),
            ..Edits::default()
        };
        edits.apply(&mut doc).expect("applies");
        assert_eq!(
            serde_json::to_string(&doc).expect("json"),
            r#"{"family":"f","containerDefinitions":[{"name":"web","image":"new","environment":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"dockerLabels":{"x":"1","y":"2"},"secrets":[{"name":"S","valueFrom":"arn:aws:ssm:us-east-1:123456789012:parameter/s"}],"logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/web"}},"command":["run"]}],"taskRoleArn":"arn:aws:iam::123456789012:role/app"}"#
        );
    }

    #[test]
    fn an_unknown_container_lists_the_names_there_are() {
        let mut doc = json!({"containerDefinitions": [{"name": "web"}, {"name": "worker"}]});
        let edits = Edits {
            images: vec![("api".into(), "x".into())],
            ..Edits::default()
        };
        let err = edits.apply(&mut doc).expect_err("unknown");
        assert!(
            err.to_string()
                .contains("matching name 'api' (the definition has: web, worker)"),
            "{err}"
        );
    }
}
