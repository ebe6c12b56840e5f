//! Where the changed files come from: the same decision dorny/paths-filter v3 makes, as a pure
//! function of the inputs and the event, so every branch is tested without git or GitHub.

use anyhow::bail;

/// A commit SHA as dorny recognises one.
pub fn is_sha(text: &str) -> bool {
    text.len() == 40
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The push `before` of a branch's first push.
pub const NULL_SHA: &str = "0000000000000000000000000000000000000000";

/// `refs/heads/x` and `refs/tags/x` → `x`.
pub fn short_name(reference: &str) -> &str {
    reference
        .strip_prefix("refs/heads/")
        .or_else(|| reference.strip_prefix("refs/tags/"))
        .unwrap_or(reference)
}

/// What to do when a run has no previous commit to compare with (`when-no-base` input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenNoBase {
    /// dorny's behaviour: the changes of the last commit only.
    LastCommit,
    /// Every tracked file, as added (a manual run means "deploy everything").
    All,
    /// No file.
    None,
    /// Fail.
    Error,
}

impl WhenNoBase {
    /// The input's values.
    pub const VALUES: [&'static str; 4] = ["last-commit", "all", "none", "error"];

    /// Parses the input.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "last-commit" => WhenNoBase::LastCommit,
            "all" => WhenNoBase::All,
            "none" => WhenNoBase::None,
            "error" => WhenNoBase::Error,
            _ => return None,
        })
    }
}

/// The inputs that choose the source.
#[derive(Debug, Clone, Default)]
pub struct SourceInputs {
    /// `base`.
    pub base: Option<String>,
    /// `ref`.
    pub git_ref: Option<String>,
    /// Whether a `token` was given.
    pub has_token: bool,
    /// `when-no-base`.
    pub when_no_base: Option<WhenNoBase>,
}

/// A pull request, from the event payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// Its number.
    pub number: u64,
    /// `pull_request.base.sha`.
    pub base_sha: Option<String>,
    /// `pull_request.head.sha`.
    pub head_sha: Option<String>,
}

/// What the event tells.
#[derive(Debug, Clone, Default)]
pub struct EventFacts {
    /// `GITHUB_EVENT_NAME`.
    pub name: String,
    /// `GITHUB_REF`.
    pub git_ref: Option<String>,
    /// `before` of a push event.
    pub before: Option<String>,
    /// `after` of a push event: the pushed commit.
    pub after: Option<String>,
    /// `repository.default_branch`.
    pub default_branch: Option<String>,
    /// `pull_request`.
    pub pull_request: Option<PullRequest>,
    /// `merge_group.base_sha` and `merge_group.head_sha`.
    pub merge_group: Option<(String, String)>,
}

impl EventFacts {
    /// The facts of an event payload.
    pub fn from_payload(name: &str, git_ref: Option<&str>, payload: &serde_json::Value) -> Self {
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        let pull_request = payload.get("pull_request").and_then(|pr| {
            Some(PullRequest {
                number: pr.get("number")?.as_u64()?,
                base_sha: pr.pointer("/base/sha").and_then(text),
                head_sha: pr.pointer("/head/sha").and_then(text),
            })
        });
        let merge_group = payload.get("merge_group").and_then(|mg| {
            Some((
                mg.get("base_sha").and_then(text)?,
                mg.get("head_sha").and_then(text)?,
            ))
        });
        Self {
            name: name.to_owned(),
            git_ref: git_ref.map(str::to_owned),
            before: (name == "push")
                .then(|| payload.get("before").and_then(text))
                .flatten(),
            after: (name == "push")
                .then(|| payload.get("after").and_then(text))
                .flatten()
                .filter(|sha| is_sha(sha)),
            default_branch: payload.pointer("/repository/default_branch").and_then(text),
            pull_request,
            merge_group,
        }
    }

    fn is_pull_request(&self) -> bool {
        matches!(
            self.name.as_str(),
            "pull_request"
                | "pull_request_review"
                | "pull_request_review_comment"
                | "pull_request_target"
        )
    }
}

/// Where the changes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// `git diff HEAD`: uncommitted changes.
    Uncommitted,
    /// The pull request's files from the GitHub API; `fallback` when it holds 3000 files or more.
    PullRequestApi {
        /// The pull request.
        number: u64,
        /// What to use when the API's list is cut off.
        fallback: Option<Box<Plan>>,
    },
    /// `git diff base..head`.
    Diff {
        /// Base commit or ref.
        base: String,
        /// Head commit or ref.
        head: String,
    },
    /// `git diff base...head`, fetching history until the merge base is there.
    MergeBase {
        /// Base ref.
        base: String,
        /// Head ref.
        head: String,
    },
    /// The changes of the last commit.
    LastCommit,
    /// Every tracked file, as added.
    AllFiles,
    /// No change at all.
    Nothing,
}

/// A line for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// Shown as a plain line.
    Info(String),
    /// Shown as a warning annotation.
    Warning(String),
}

/// The plan and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What to run.
    pub plan: Plan,
    /// One sentence: which base was used and why (for the log and the job summary).
    pub reason: String,
    /// What else to tell the user.
    pub notes: Vec<Note>,
}

/// Decides where the changes come from, as dorny does; `current_ref` asks git for the checked-out
/// branch, tag or commit (only when needed: a pull request read from the API needs no checkout).
pub fn decide(
    inputs: &SourceInputs,
    event: &EventFacts,
    current_ref: &mut dyn FnMut() -> anyhow::Result<String>,
) -> anyhow::Result<Decision> {
    let mut notes = Vec::new();
    if inputs.base.as_deref() == Some("HEAD") {
        if inputs.git_ref.is_some() {
            notes.push(Note::Warning(
                "'ref' input parameter is ignored when 'base' is set to HEAD".into(),
            ));
        }
        return Ok(Decision {
            plan: Plan::Uncommitted,
            reason: "base is HEAD: uncommitted changes only".into(),
            notes,
        });
    }
    let mut base = inputs.base.clone();
    let mut head = inputs.git_ref.clone();
    if event.is_pull_request() {
        return decide_pull_request(inputs, event, current_ref, notes);
    }
    if event.name == "merge_group"
        && let Some((base_sha, head_sha)) = &event.merge_group
    {
        base = base.or_else(|| Some(base_sha.clone()));
        head = head.or_else(|| Some(head_sha.clone()));
    }
    // Asking git for the checked-out ref costs a process: only when the head is not given.
    let mut current = CurrentRef::new(current_ref);
    let head = match head.or_else(|| event.git_ref.clone()) {
        Some(head) => short_name(&head).to_owned(),
        None => short_name(current.get()?).to_owned(),
    };
    let Some(base) = base
        .or_else(|| event.default_branch.clone())
        .map(|b| short_name(&b).to_owned())
    else {
        bail!(
            "This action requires 'base' input to be configured or 'repository.default_branch' to be set in the event payload"
        );
    };
    if head.is_empty() {
        bail!(
            "This action requires 'head' input to be configured, 'ref' to be set in the event payload or branch/tag checked out in current git repository"
        );
    }
    let mut not_checked_out = |notes: &mut Vec<Note>| -> anyhow::Result<()> {
        if head != current.get()? {
            notes.push(Note::Warning(format!(
                "Ref {head} is not checked out - results might be incorrect!"
            )));
        }
        Ok(())
    };
    if is_sha(&base) || base == head {
        let base_sha = if is_sha(&base) {
            Some(base.clone())
        } else {
            event.before.clone()
        };
        let Some(base_sha) = base_sha else {
            return no_base(inputs, &event.name, &head, notes, &mut not_checked_out);
        };
        if base_sha == NULL_SHA {
            return Ok(match &event.default_branch {
                Some(default) if &base != default => {
                    notes.push(Note::Info(format!(
                        "First push of a branch detected - changes will be detected against the default branch {default}"
                    )));
                    Decision {
                        plan: Plan::MergeBase {
                            base: default.clone(),
                            head: head.clone(),
                        },
                        reason: format!(
                            "first push of {head}: compared with its merge base with {default}"
                        ),
                        notes,
                    }
                }
                _ => {
                    notes.push(Note::Info(
                        "Initial push detected - all files will be listed as added".into(),
                    ));
                    not_checked_out(&mut notes)?;
                    Decision {
                        plan: Plan::AllFiles,
                        reason: format!(
                            "initial push of {head}: every tracked file counts as added"
                        ),
                        notes,
                    }
                }
            });
        }
        // The pushed commit is what the branch pointed at when it was pushed: comparing it
        // directly spares asking git where the branch is.
        let pushed = event.after.clone().filter(|_| {
            !is_sha(&base)
                && Some(&head)
                    == event
                        .git_ref
                        .as_deref()
                        .map(short_name)
                        .map(str::to_owned)
                        .as_ref()
        });
        return Ok(Decision {
            plan: Plan::Diff {
                base: base_sha.clone(),
                head: pushed.unwrap_or_else(|| head.clone()),
            },
            reason: if is_sha(&base) {
                format!("base {base_sha} (the 'base' input) compared with {head}")
            } else {
                format!("push to {head}: compared with the commit before the push ({base_sha})")
            },
            notes,
        });
    }
    Ok(Decision {
        plan: Plan::MergeBase {
            base: base.clone(),
            head: head.clone(),
        },
        reason: format!("{head} compared with its merge base with {base}"),
        notes,
    })
}

/// The checked-out ref, asked of git once and only when needed.
struct CurrentRef<'a> {
    ask: &'a mut dyn FnMut() -> anyhow::Result<String>,
    value: Option<String>,
}

impl<'a> CurrentRef<'a> {
    fn new(ask: &'a mut dyn FnMut() -> anyhow::Result<String>) -> Self {
        Self { ask, value: None }
    }

    fn get(&mut self) -> anyhow::Result<&str> {
        if self.value.is_none() {
            self.value = Some((self.ask)()?);
        }
        Ok(self.value.as_deref().unwrap_or_default())
    }
}

fn decide_pull_request(
    inputs: &SourceInputs,
    event: &EventFacts,
    current_ref: &mut dyn FnMut() -> anyhow::Result<String>,
    mut notes: Vec<Note>,
) -> anyhow::Result<Decision> {
    if inputs.git_ref.is_some() {
        notes.push(Note::Warning(
            "'ref' input parameter is ignored when action is triggered by pull request event"
                .into(),
        ));
    }
    let Some(pr) = &event.pull_request else {
        bail!(
            "the {} event payload has no pull_request.number",
            event.name
        );
    };
    if inputs.has_token {
        if inputs.base.is_some() {
            notes.push(Note::Warning("'base' input parameter is ignored when action is triggered by pull request event and 'token' is provided - set token: '' to detect changes using git diff against 'base'".into()));
        }
        let fallback = match (&pr.base_sha, &pr.head_sha) {
            (Some(base), Some(head)) => Some(Box::new(Plan::MergeBase {
                base: base.clone(),
                head: head.clone(),
            })),
            _ => None,
        };
        return Ok(Decision {
            plan: Plan::PullRequestApi {
                number: pr.number,
                fallback,
            },
            reason: format!("pull request #{}: its files from the GitHub API", pr.number),
            notes,
        });
    }
    if event.name == "pull_request_target" {
        bail!(
            "'token' input parameter is required if action is triggered by 'pull_request_target' event"
        );
    }
    notes.push(Note::Info(
        "GitHub token is not available - changes will be detected using git diff".into(),
    ));
    if let Some(base) = &inputs.base {
        notes.push(Note::Info(format!(
            "Using base '{base}' instead of the pull request base"
        )));
    }
    let Some(base) = inputs
        .base
        .clone()
        .or_else(|| pr.base_sha.clone())
        .or_else(|| event.default_branch.clone())
    else {
        bail!(
            "pull request #{} has no base: set the 'base' input",
            pr.number
        );
    };
    let head = current_ref()?;
    Ok(Decision {
        reason: format!(
            "pull request #{} without a token: {base}..{head} with git",
            pr.number
        ),
        plan: Plan::Diff { base, head },
        notes,
    })
}

fn no_base(
    inputs: &SourceInputs,
    event: &str,
    head: &str,
    mut notes: Vec<Note>,
    not_checked_out: &mut dyn FnMut(&mut Vec<Note>) -> anyhow::Result<()>,
) -> anyhow::Result<Decision> {
    let choice = inputs.when_no_base.unwrap_or(WhenNoBase::LastCommit);
    let why =
        format!("{event} on {head} has no previous commit to compare with ('before' is missing)");
    let (plan, reason) = match choice {
        WhenNoBase::LastCommit => {
            notes.push(Note::Warning(
                "'before' field is missing in event payload - changes will be detected from last commit".into(),
            ));
            not_checked_out(&mut notes)?;
            (
                Plan::LastCommit,
                format!("{why}: the last commit's changes (when-no-base: last-commit)"),
            )
        }
        WhenNoBase::All => {
            not_checked_out(&mut notes)?;
            (
                Plan::AllFiles,
                format!("{why}: every tracked file counts as added (when-no-base: all)"),
            )
        }
        WhenNoBase::None => (
            Plan::Nothing,
            format!("{why}: no change (when-no-base: none)"),
        ),
        WhenNoBase::Error => {
            bail!("{why}, and 'when-no-base' is 'error'; set 'base' to a commit to compare with")
        }
    };
    Ok(Decision {
        plan,
        reason,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn event(name: &str, payload: serde_json::Value, git_ref: &str) -> EventFacts {
        EventFacts::from_payload(name, Some(git_ref), &payload)
    }

    fn decide_with(
        inputs: SourceInputs,
        event: &EventFacts,
        current: &str,
    ) -> anyhow::Result<Decision> {
        let current = current.to_owned();
        decide(&inputs, event, &mut || Ok(current.clone()))
    }

    fn repo() -> serde_json::Value {
        serde_json::json!({"default_branch": "main"})
    }

    #[test]
    fn push_to_the_default_branch_compares_with_before() {
        let e = event(
            "push",
            serde_json::json!({"before": SHA_A, "repository": repo()}),
            "refs/heads/main",
        );
        let d = decide_with(SourceInputs::default(), &e, "main").expect("plan");
        assert_eq!(
            d.plan,
            Plan::Diff {
                base: SHA_A.into(),
                head: "main".into()
            }
        );
    }

    #[test]
    fn push_to_another_branch_uses_the_merge_base() {
        let e = event(
            "push",
            serde_json::json!({"before": SHA_A, "repository": repo()}),
            "refs/heads/feat",
        );
        let d = decide_with(SourceInputs::default(), &e, "feat").expect("plan");
        assert_eq!(
            d.plan,
            Plan::MergeBase {
                base: "main".into(),
                head: "feat".into()
            }
        );
    }

    #[test]
    fn first_push_of_a_branch_compares_with_the_default_branch() {
        let e = event(
            "push",
            serde_json::json!({"before": NULL_SHA, "repository": repo()}),
            "refs/heads/feat",
        );
        let inputs = SourceInputs {
            base: Some("feat".into()),
            ..SourceInputs::default()
        };
        let d = decide_with(inputs, &e, "feat").expect("plan");
        assert_eq!(
            d.plan,
            Plan::MergeBase {
                base: "main".into(),
                head: "feat".into()
            }
        );
        let on_main = event(
            "push",
            serde_json::json!({"before": NULL_SHA, "repository": repo()}),
            "refs/heads/main",
        );
        assert_eq!(
            decide_with(SourceInputs::default(), &on_main, "main")
                .expect("plan")
                .plan,
            Plan::AllFiles
        );
    }

    #[test]
    fn manual_runs_follow_when_no_base() {
        let e = event(
            "workflow_dispatch",
            serde_json::json!({"repository": repo()}),
            "refs/heads/main",
        );
        let default = decide_with(SourceInputs::default(), &e, "main").expect("plan");
        assert_eq!(default.plan, Plan::LastCommit);
        assert!(
            matches!(&default.notes[0], Note::Warning(w) if w.starts_with("'before' field is missing"))
        );
        for (choice, plan) in [
            (WhenNoBase::All, Plan::AllFiles),
            (WhenNoBase::None, Plan::Nothing),
        ] {
            let inputs = SourceInputs {
                when_no_base: Some(choice),
                ..SourceInputs::default()
            };
            assert_eq!(decide_with(inputs, &e, "main").expect("plan").plan, plan);
        }
        let inputs = SourceInputs {
            when_no_base: Some(WhenNoBase::Error),
            ..SourceInputs::default()
        };
        let err = decide_with(inputs, &e, "main").expect_err("error");
        assert!(
            err.to_string().contains("'when-no-base' is 'error'"),
            "{err}"
        );
    }

    #[test]
    fn pull_requests_use_the_api_with_a_token_and_git_without() {
        let payload = serde_json::json!({"pull_request": {"number": 7, "base": {"sha": SHA_A}, "head": {"sha": "b".repeat(40)}}, "repository": repo()});
        let e = event("pull_request", payload.clone(), "refs/pull/7/merge");
        let with_token = SourceInputs {
            has_token: true,
            git_ref: Some("x".into()),
            ..SourceInputs::default()
        };
        let d = decide(&with_token, &e, &mut || panic!("no checkout needed")).expect("plan");
        assert!(matches!(
            d.plan,
            Plan::PullRequestApi {
                number: 7,
                fallback: Some(_)
            }
        ));
        assert!(
            matches!(&d.notes[0], Note::Warning(w) if w.contains("'ref' input parameter is ignored"))
        );
        let d = decide_with(SourceInputs::default(), &e, "pr-head").expect("plan");
        assert_eq!(
            d.plan,
            Plan::Diff {
                base: SHA_A.into(),
                head: "pr-head".into()
            }
        );
        let target = event("pull_request_target", payload, "refs/heads/main");
        let err = decide_with(SourceInputs::default(), &target, "main").expect_err("needs a token");
        assert!(
            err.to_string()
                .contains("'token' input parameter is required")
        );
    }

    #[test]
    fn merge_group_uses_its_shas() {
        let payload = serde_json::json!({"merge_group": {"base_sha": SHA_A, "head_sha": "c".repeat(40)}, "repository": repo()});
        let e = event(
            "merge_group",
            payload,
            "refs/heads/gh-readonly-queue/main/pr-1",
        );
        let d = decide_with(SourceInputs::default(), &e, "HEAD").expect("plan");
        assert_eq!(
            d.plan,
            Plan::Diff {
                base: SHA_A.into(),
                head: "c".repeat(40)
            }
        );
    }

    #[test]
    fn base_head_is_uncommitted_changes() {
        let e = event("push", serde_json::json!({}), "refs/heads/main");
        let inputs = SourceInputs {
            base: Some("HEAD".into()),
            ..SourceInputs::default()
        };
        assert_eq!(
            decide_with(inputs, &e, "main").expect("plan").plan,
            Plan::Uncommitted
        );
    }
}
