//! What to do with each wanted tag, decided from what the repository holds (pure).

use std::collections::BTreeMap;

use anyhow::bail;

/// What happens to one tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagAction {
    /// The tag is new in the repository.
    Add {
        /// The tag.
        tag: String,
    },
    /// The tag points at another image and is moved here.
    Move {
        /// The tag.
        tag: String,
        /// The digest it pointed at.
        from: String,
    },
    /// The tag already points here.
    Keep {
        /// The tag.
        tag: String,
    },
}

impl TagAction {
    /// The tag concerned.
    pub fn tag(&self) -> &str {
        match self {
            TagAction::Add { tag } | TagAction::Move { tag, .. } | TagAction::Keep { tag } => tag,
        }
    }
}

/// An ECR image tag: 1 to 128 of letters, digits, `_`, `.`, `-`, not starting with `.` or `-`.
fn is_valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    first_ok
        && tag.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The tags of the `tags` input (comma- or newline-separated), checked, without duplicates and
/// without the source tag.
pub fn parse_tags(text: &str, source_tag: &str) -> anyhow::Result<Vec<String>> {
    if !is_valid_tag(source_tag) {
        bail!(
            "input 'source-tag': '{source_tag}' is not a valid image tag (letters, digits, '_', '.', '-'; at most 128)"
        );
    }
    let mut tags: Vec<String> = Vec::new();
    for tag in text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if !is_valid_tag(tag) {
            bail!(
                "input 'tags': '{tag}' is not a valid image tag (letters, digits, '_', '.', '-'; at most 128)"
            );
        }
        if tag != source_tag && !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    Ok(tags)
}

/// One action per wanted tag, given the digest each existing tag points at.
pub fn plan_tags(
    digest: &str,
    wanted: &[String],
    existing: &BTreeMap<String, String>,
) -> Vec<TagAction> {
    wanted
        .iter()
        .map(|tag| match existing.get(tag) {
            None => TagAction::Add { tag: tag.clone() },
            Some(current) if current == digest => TagAction::Keep { tag: tag.clone() },
            Some(current) => TagAction::Move {
                tag: tag.clone(),
                from: current.clone(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_split_checked_and_deduplicated() {
        assert_eq!(
            parse_tags("latest, 1.4.2\nlatest\nabc123", "abc123").expect("valid"),
            ["latest", "1.4.2"]
        );
        assert!(parse_tags("", "abc").expect("valid").is_empty());
        let err = parse_tags("ok, bad tag", "abc").expect_err("space");
        assert!(
            err.to_string().starts_with("input 'tags': 'bad tag'"),
            "{err}"
        );
        assert!(parse_tags("-x", "abc").is_err());
        assert!(parse_tags(&"a".repeat(129), "abc").is_err());
        assert!(
            parse_tags("", "a:b")
                .expect_err("colon")
                .to_string()
                .starts_with("input 'source-tag'")
        );
    }

    #[test]
    fn plan_adds_moves_and_keeps() {
        let existing = BTreeMap::from([
            ("latest".to_owned(), "sha256:old".to_owned()),
            ("1.4.2".to_owned(), "sha256:new".to_owned()),
        ]);
        let wanted = ["latest".to_owned(), "1.4.2".to_owned(), "stable".to_owned()];
        assert_eq!(
            plan_tags("sha256:new", &wanted, &existing),
            [
                TagAction::Move {
                    tag: "latest".into(),
                    from: "sha256:old".into()
                },
                TagAction::Keep {
                    tag: "1.4.2".into()
                },
                TagAction::Add {
                    tag: "stable".into()
                },
            ]
        );
    }
}
