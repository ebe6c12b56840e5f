//! The names of one version's resources, derived from the deployment name and id: the ECS
//! service, the target group (at most 32 characters, so long ones get a short deterministic
//! hash), the SSM state parameter and the lease; and the checks of the names themselves.

use anyhow::bail;

/// Longest target-group name Elastic Load Balancing accepts.
pub const TARGET_GROUP_NAME_MAX: usize = 32;

/// Longest deployment name (it is part of every resource name).
const NAME_MAX: usize = 32;

/// Longest deployment id.
const ID_MAX: usize = 64;

/// Longest HTTP header name an ALB `http-header` condition accepts.
const HEADER_NAME_MAX: usize = 40;

/// Longest query-string key an ALB `query-string` condition accepts.
const QUERY_KEY_MAX: usize = 128;

/// Checks a `deployment-name`: letters, digits and hyphens, 1 to 32, no hyphen at either end.
pub fn check_name(input: &str, name: &str) -> anyhow::Result<()> {
    let good_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if name.is_empty()
        || name.len() > NAME_MAX
        || !good_chars
        || name.starts_with('-')
        || name.ends_with('-')
    {
        bail!(
            "input '{input}': '{name}' is not a deployment name: expected 1 to {NAME_MAX} letters, digits or hyphens, not starting or ending with a hyphen"
        );
    }
    Ok(())
}

/// Checks a `deployment-id`: letters, digits, hyphens and underscores, 1 to 64 (it names an
/// ECS service and an SSM path, and is the value of an ALB condition, where `*` and `?` would
/// be wildcards).
pub fn check_id(input: &str, id: &str) -> anyhow::Result<()> {
    if id.contains(['*', '?']) {
        bail!(
            "input '{input}': '{id}' contains '*' or '?', which ALB rule conditions treat as wildcards: the rule would match other versions' requests"
        );
    }
    let good_chars = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if id.is_empty() || id.len() > ID_MAX || !good_chars {
        bail!(
            "input '{input}': '{id}' is not a deployment id: expected 1 to {ID_MAX} letters, digits, hyphens or underscores"
        );
    }
    Ok(())
}

/// Checks the affinity header's name: an HTTP token of at most 40 characters.
pub fn check_header(input: &str, header: &str) -> anyhow::Result<()> {
    let token = header
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'+-.^_`|~".contains(c));
    if header.is_empty() || header.len() > HEADER_NAME_MAX || !token {
        bail!(
            "input '{input}': '{header}' is not a header name an ALB rule accepts: expected 1 to {HEADER_NAME_MAX} letters, digits or -_.!#$%&'+^`|~ ({} given)",
            header.len()
        );
    }
    Ok(())
}

/// Checks the affinity query parameter's key.
pub fn check_query_key(input: &str, key: &str) -> anyhow::Result<()> {
    let good = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c));
    if key.is_empty() || key.len() > QUERY_KEY_MAX || !good {
        bail!(
            "input '{input}': '{key}' is not a query parameter key: expected 1 to {QUERY_KEY_MAX} letters, digits or -_.~"
        );
    }
    Ok(())
}

/// The ECS service of a version: `svc-<name>-<id>`.
pub fn service_name(name: &str, id: &str) -> String {
    format!("svc-{name}-{id}")
}

/// The target group of a version: `tg-<name>-<id>` when that fits in 32 characters and uses
/// only letters, digits and hyphens; otherwise as much of it as fits before `-` and 8 hex
/// digits of a hash of the full name, so distinct versions keep distinct names.
pub fn target_group_name(name: &str, id: &str) -> String {
    let full = format!("tg-{name}-{id}");
    let valid = full.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if full.len() <= TARGET_GROUP_NAME_MAX && valid {
        return full;
    }
    let hash = format!("{:08x}", fnv1a(full.as_bytes()) as u32);
    let room = TARGET_GROUP_NAME_MAX - hash.len() - 1;
    let prefix: String = full
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(room)
        .collect();
    let prefix = prefix.trim_end_matches('-');
    format!("{prefix}-{hash}")
}

/// The SSM parameter the app's tasks poll: `/apps/<name>/<id>/state` (the seed's path).
pub fn state_parameter(name: &str, id: &str) -> String {
    format!("{}{id}/state", apps_path(name))
}

/// Where every parameter of a deployment name lives: `/apps/<name>/`.
pub fn apps_path(name: &str) -> String {
    format!("/apps/{name}/")
}

/// The lease parameter of a deployment name: `/apps/<name>/lock`.
pub fn lease_parameter(name: &str) -> String {
    format!("{}lock", apps_path(name))
}

/// The deployment id of a state parameter's name under `/apps/<name>/`, if it is one.
pub fn id_of_state_parameter<'a>(name: &str, parameter: &'a str) -> Option<&'a str> {
    let rest = parameter.strip_prefix(&apps_path(name))?;
    let id = rest.strip_suffix("/state")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// A fingerprint of `text`: 16 hex digits of its FNV-1a hash.
pub fn fingerprint(text: &str) -> String {
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// FNV-1a, 64 bits: a small stable hash (the same on every machine and release).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_target_group_names_stay_readable() {
        assert_eq!(target_group_name("prod", "abc1234"), "tg-prod-abc1234");
        assert_eq!(service_name("prod", "abc1234"), "svc-prod-abc1234");
    }

    #[test]
    fn long_target_group_names_are_cut_with_a_hash() {
        // `tg-production-20251027-183000Z` fits in 32; three more characters do not.
        assert_eq!(
            target_group_name("production", "20251027-183000Z").len(),
            30
        );
        let a = target_group_name("production-eu", "20251027-183000Z");
        let b = target_group_name("production-eu", "20251027-183001Z");
        assert_eq!(a.len(), 32, "{a}");
        assert!(a.starts_with("tg-production-eu-202510-"), "{a}");
        assert_ne!(a, b, "distinct versions, distinct names");
        assert_eq!(a, target_group_name("production-eu", "20251027-183000Z"));
        // Underscores are not allowed in target-group names: hashed too.
        let underscored = target_group_name("p", "a_b");
        assert!(
            underscored
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        );
        assert_ne!(underscored, target_group_name("p", "a-b"));
        let longest = target_group_name(&"n".repeat(32), &"i".repeat(64));
        assert!(longest.len() <= 32 && !longest.contains("--"), "{longest}");
    }

    #[test]
    fn parameter_paths() {
        assert_eq!(state_parameter("prod", "v1"), "/apps/prod/v1/state");
        assert_eq!(lease_parameter("prod"), "/apps/prod/lock");
        assert_eq!(
            id_of_state_parameter("prod", "/apps/prod/v1/state"),
            Some("v1")
        );
        assert_eq!(id_of_state_parameter("prod", "/apps/prod/lock"), None);
        assert_eq!(id_of_state_parameter("prod", "/apps/prod2/v1/state"), None);
    }

    #[test]
    fn checks_name_id_header_and_key() {
        assert!(check_name("deployment-name", "prod").is_ok());
        assert!(check_name("deployment-name", "-prod").is_err());
        assert!(check_name("deployment-name", "pr_od").is_err());
        assert!(check_id("deployment-id", "20251027-183000Z").is_ok());
        assert!(check_id("deployment-id", "abc_123").is_ok());
        let wildcard = check_id("deployment-id", "v*").expect_err("wildcard");
        assert!(wildcard.to_string().contains("wildcards"), "{wildcard}");
        assert!(check_id("deployment-id", "v?").is_err());
        assert!(check_id("deployment-id", "a/b").is_err());
        assert!(check_header("affinity-header", "X-Pulse-Render-Affinity").is_ok());
        assert!(check_header("affinity-header", &"X".repeat(41)).is_err());
        assert!(check_header("affinity-header", "X Y").is_err());
        assert!(check_query_key("affinity-query-param", "pulse_affinity").is_ok());
        assert!(check_query_key("affinity-query-param", "a=b").is_err());
    }
}
