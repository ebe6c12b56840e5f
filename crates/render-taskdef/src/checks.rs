//! Values ECS refuses, or that fail only when a task starts, found before anything is written:
//! Fargate cpu/memory combinations, awslogs without a group, no essential container, duplicate
//! container names, a variable both plain and secret, and `valueFrom` references of no known kind.

use std::collections::HashSet;

use serde_json::Value;

use crate::model::Problem;

/// Fargate's task sizes: cpu units → the memory (MiB) it allows, as (min, max, step).
const FARGATE_SIZES: [(u64, u64, u64, u64); 7] = [
    (256, 512, 2048, 0),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// Every problem found.
pub fn check(document: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    fargate_size(document, &mut problems);
    let containers = document["containerDefinitions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut names = HashSet::new();
    for (i, container) in containers.iter().enumerate() {
        let path = format!("containerDefinitions[{i}]");
        if let Some(name) = container["name"].as_str()
            && !names.insert(name)
        {
            problems.push(problem(
                &format!("{path}.name"),
                format!("duplicate container name '{name}'"),
            ));
        }
        awslogs_group(container, &path, &mut problems);
        plain_and_secret(container, &path, &mut problems);
        secret_references(container, &path, &mut problems);
    }
    if !containers.is_empty()
        && containers
            .iter()
            .all(|c| c["essential"] == Value::Bool(false))
    {
        problems.push(problem(
            "containerDefinitions",
            "no essential container: at least one container must have essential true (the default)"
                .into(),
        ));
    }
    problems
}

fn problem(path: &str, message: String) -> Problem {
    Problem {
        path: path.to_owned(),
        message,
    }
}

/// A plain number as it is, or a number with `unit` (any letter case) times 1024: cpu units
/// from `"256"`, `"1 vCPU"`, `".25 vcpu"`; MiB from `"512"`, `"1 GB"`, `".5 gb"`.
fn in_units(text: &str, unit: &str) -> Option<u64> {
    let lower = text.trim().to_lowercase();
    match lower.strip_suffix(unit) {
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .map(|v| (v * 1024.0).round() as u64),
        None => lower.parse().ok(),
    }
}

fn fargate_size(document: &Value, problems: &mut Vec<Problem>) {
    let fargate = document["requiresCompatibilities"]
        .as_array()
        .is_some_and(|c| c.iter().any(|v| v == "FARGATE"));
    if !fargate {
        return;
    }
    let (Some(cpu_text), Some(memory_text)) =
        (document["cpu"].as_str(), document["memory"].as_str())
    else {
        problems.push(problem(
            "cpu",
            "Fargate needs the task-level cpu and memory".into(),
        ));
        return;
    };
    let (Some(cpu), Some(memory)) = (in_units(cpu_text, "vcpu"), in_units(memory_text, "gb"))
    else {
        problems.push(problem(
            "cpu",
            format!("cannot read cpu '{cpu_text}' and memory '{memory_text}'"),
        ));
        return;
    };
    let allowed = FARGATE_SIZES.iter().find(|(units, ..)| *units == cpu);
    let fits = allowed.is_some_and(|&(units, min, max, step)| {
        if units == 256 {
            [512, 1024, 2048].contains(&memory)
        } else {
            (min..=max).contains(&memory) && (memory - min) % step == 0
        }
    });
    if !fits {
        let message = match allowed {
            None => format!(
                "Fargate does not offer {cpu} cpu units (256, 512, 1024, 2048, 4096, 8192 or 16384)"
            ),
            Some((_, min, max, _)) => format!(
                "Fargate does not run {cpu} cpu units with {memory} MiB of memory (it takes {min} to {max} MiB in its steps)"
            ),
        };
        problems.push(problem("memory", message));
    }
}

fn awslogs_group(container: &Value, path: &str, problems: &mut Vec<Problem>) {
    let log = &container["logConfiguration"];
    if log["logDriver"] == "awslogs"
        && log["options"]["awslogs-group"]
            .as_str()
            .is_none_or(str::is_empty)
    {
        problems.push(problem(
            &format!("{path}.logConfiguration.options"),
            "the awslogs log driver needs the option awslogs-group".into(),
        ));
    }
}

fn plain_and_secret(container: &Value, path: &str, problems: &mut Vec<Problem>) {
    let names = |key: &str| -> Vec<&str> {
        container[key]
            .as_array()
            .map(|items| items.iter().filter_map(|i| i["name"].as_str()).collect())
            .unwrap_or_default()
    };
    let secrets = names("secrets");
    for name in names("environment")
        .into_iter()
        .filter(|n| secrets.contains(n))
    {
        problems.push(problem(
            &format!("{path}.environment"),
            format!("'{name}' is both a plain variable and a secret; keep one"),
        ));
    }
}

/// An SSM parameter (ARN or name) or a Secrets Manager secret ARN.
fn is_secret_reference(value: &str) -> bool {
    let arn_of = |service: &str, resource: &str| {
        value.starts_with("arn:aws")
            && value.split(':').nth(2) == Some(service)
            && value
                .split(':')
                .nth(5)
                .is_some_and(|r| r.starts_with(resource))
    };
    if value.starts_with("arn:") {
        return arn_of("ssm", "parameter/") || arn_of("secretsmanager", "secret");
    }
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
}

fn secret_references(container: &Value, path: &str, problems: &mut Vec<Problem>) {
    let lists = [
        ("secrets", &container["secrets"]),
        (
            "logConfiguration.secretOptions",
            &container["logConfiguration"]["secretOptions"],
        ),
    ];
    for (key, list) in lists {
        for (i, secret) in list.as_array().into_iter().flatten().enumerate() {
            if let Some(value) = secret["valueFrom"]
                .as_str()
                .filter(|v| !is_secret_reference(v))
            {
                problems.push(problem(
                    &format!("{path}.{key}[{i}].valueFrom"),
                    format!("'{value}' is neither an SSM parameter (name or ARN) nor a Secrets Manager secret ARN"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(doc: Value) -> Vec<String> {
        check(&doc).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn fargate_sizes() {
        let sized = |cpu: &str, memory: &str| {
            messages(
                json!({"requiresCompatibilities": ["FARGATE"], "cpu": cpu, "memory": memory,
                "containerDefinitions": [{"name": "a"}]}),
            )
        };
        assert!(sized("256", "512").is_empty());
        assert!(sized(".25 vcpu", ".5 gb").is_empty());
        assert!(sized("1 vCPU", "3 GB").is_empty());
        assert!(sized("4096", "30720").is_empty());
        assert_eq!(
            sized("256", "4096"),
            [
                "memory: Fargate does not run 256 cpu units with 4096 MiB of memory (it takes 512 to 2048 MiB in its steps)"
            ]
        );
        assert_eq!(
            sized("300", "512"),
            [
                "memory: Fargate does not offer 300 cpu units (256, 512, 1024, 2048, 4096, 8192 or 16384)"
            ]
        );
        assert!(sized("8192", "20000").len() == 1);
    }

    #[test]
    fn container_level_problems() {
        let doc = json!({"containerDefinitions": [
            {"name": "a", "essential": false, "logConfiguration": {"logDriver": "awslogs", "options": {}},
             "environment": [{"name": "DB", "value": "x"}], "secrets": [{"name": "DB", "valueFrom": "/prod/db"}]},
            {"name": "a", "essential": false, "secrets": [{"name": "K", "valueFrom": "https://vault/k"}]}
        ]});
        assert_eq!(
            messages(doc),
            [
                "containerDefinitions[0].logConfiguration.options: the awslogs log driver needs the option awslogs-group",
                "containerDefinitions[0].environment: 'DB' is both a plain variable and a secret; keep one",
                "containerDefinitions[1].name: duplicate container name 'a'",
                "containerDefinitions[1].secrets[0].valueFrom: 'https://vault/k' is neither an SSM parameter (name or ARN) nor a Secrets Manager secret ARN",
                "containerDefinitions: no essential container: at least one container must have essential true (the default)",
            ]
        );
    }

    #[test]
    fn secret_references() {
        for valid in [
            "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::",
            "prod-db-password",
            "/prod/db/password",
        ] {
            assert!(is_secret_reference(valid), "{valid}");
        }
        for invalid in [
            "arn:aws:s3:::bucket/key",
            "arn:aws:ssm:us-east-1:123:document/x",
            "has space",
            "",
        ] {
            assert!(!is_secret_reference(invalid), "{invalid}");
        }
    }
}
