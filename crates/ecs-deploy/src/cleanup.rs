//! `keep-revisions`: which registered revisions of a family to deregister after a good deploy.
//! Pure: the newest N stay, and so does every revision a service still uses.

use std::collections::BTreeSet;

/// The family and revision of a task definition ARN (`…:task-definition/api:7` → `("api", 7)`).
pub fn family_and_revision(arn: &str) -> Option<(&str, u32)> {
    let name = arn.rsplit_once(":task-definition/")?.1;
    let (family, revision) = name.rsplit_once(':')?;
    Some((family, revision.parse().ok()?))
}

/// The revisions of `family` among `active` to deregister: all but the newest `keep`, never one
/// in `in_use`, oldest first. ARNs of other families (ListTaskDefinitions matches by prefix)
/// are ignored.
pub fn stale_revisions(
    family: &str,
    active: &[String],
    keep: usize,
    in_use: &BTreeSet<String>,
) -> Vec<String> {
    let mut revisions: Vec<(u32, &String)> = active
        .iter()
        .filter_map(|arn| match family_and_revision(arn) {
            Some((f, revision)) if f == family => Some((revision, arn)),
            _ => None,
        })
        .collect();
    revisions.sort_unstable_by_key(|r| std::cmp::Reverse(r.0));
    revisions.dedup_by_key(|r| r.0);
    let mut stale: Vec<String> = revisions
        .into_iter()
        .skip(keep)
        .filter(|(_, arn)| !in_use.contains(*arn))
        .map(|(_, arn)| arn.clone())
        .collect();
    stale.reverse();
    stale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn(name: &str) -> String {
        format!("arn:aws:ecs:eu-west-1:123456789012:task-definition/{name}")
    }

    #[test]
    fn keeps_the_newest_and_those_in_use() {
        // Out of order, as the emulator lists them; another family shares the prefix.
        let active: Vec<String> = ["api:3", "api:10", "api:1", "api-worker:1", "api:2", "api:9"]
            .into_iter()
            .map(arn)
            .collect();
        let in_use = BTreeSet::from([arn("api:2")]);
        assert_eq!(
            stale_revisions("api", &active, 2, &in_use),
            [arn("api:1"), arn("api:3")]
        );
        assert!(stale_revisions("api", &active, 10, &in_use).is_empty());
    }

    #[test]
    fn parses_arns() {
        assert_eq!(family_and_revision(&arn("my-app:12")), Some(("my-app", 12)));
        assert_eq!(family_and_revision("arn:aws:ecs:x:1:service/c/s"), None);
        assert_eq!(family_and_revision(&arn("api:latest")), None);
    }
}
