//! A stateful mock of the GitHub REST endpoints `branch-protect` uses.
//!
//! It keeps classic protection, signed-commit settings and rulesets per repository and branch,
//! answers GET in GitHub's GET shape (`{enabled}` wrappers, user/team objects, 404 for an
//! unprotected branch, ruleset lists without rules and with organisation rulesets mixed in),
//! and checks every write body against the schemas of GitHub's published REST description
//! (see `fixtures/SOURCES.md`): a body they reject is answered 422 and recorded as a violation,
//! which [`MockGitHub::assert_no_violations`] turns into a test failure.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use test_harness::{RecordedRequest, StubResponse, StubServer};

/// The token the mock accepts.
pub(crate) const TOKEN: &str = "ghp_admin_token_for_tests";
/// The app GitHub says reported a check when the protection leaves the app open.
const ACTIONS_APP_ID: i64 = 15368;

/// One repository's state.
#[derive(Debug, Clone)]
pub(crate) struct RepoState {
    /// Owned by an organisation (push restrictions allowed).
    pub(crate) organisation: bool,
    /// `permissions.admin` in the repository answer; `None` leaves `permissions` out.
    pub(crate) admin: Option<bool>,
    /// Protection endpoints answer 403 "Resource not accessible by integration".
    pub(crate) integration_forbidden: bool,
    /// A private repository on a plan without protection.
    pub(crate) plan_without_protection: bool,
    /// The default branch.
    pub(crate) default_branch: String,
    /// Branch → its state.
    pub(crate) branches: BTreeMap<String, BranchState>,
    /// Rulesets, the organisation's included.
    pub(crate) rulesets: Vec<StoredRuleset>,
    /// Pull requests: (base branch, head sha).
    pub(crate) pulls: Vec<(String, String)>,
    /// Commit sha → names reported on it: (check runs, commit statuses).
    pub(crate) reported: BTreeMap<String, (Vec<String>, Vec<String>)>,
}

/// One branch's state.
#[derive(Debug, Clone, Default)]
pub(crate) struct BranchState {
    /// The last PUT body, or `None` when unprotected.
    pub(crate) protection: Option<Value>,
    /// Signed commits required.
    pub(crate) signatures: bool,
    /// Commit shas, newest first.
    pub(crate) commits: Vec<String>,
}

/// A stored ruleset.
#[derive(Debug, Clone)]
pub(crate) struct StoredRuleset {
    /// Its id.
    pub(crate) id: u64,
    /// `Repository` or `Organization`.
    pub(crate) source_type: String,
    /// The body it was created or last updated with.
    pub(crate) body: Value,
}

impl RepoState {
    /// A repository of an organisation with a `main` branch whose one commit reported the
    /// check runs `checks`.
    pub(crate) fn with_main(checks: &[&str]) -> Self {
        let mut state = Self {
            organisation: true,
            admin: Some(true),
            integration_forbidden: false,
            plan_without_protection: false,
            default_branch: "main".into(),
            branches: BTreeMap::new(),
            rulesets: Vec::new(),
            pulls: Vec::new(),
            reported: BTreeMap::new(),
        };
        state.add_commit("main", "c0ffee01", checks, &[]);
        state
    }

    /// Adds a commit on top of `branch` (created when missing) with what it reported.
    pub(crate) fn add_commit(&mut self, branch: &str, sha: &str, runs: &[&str], statuses: &[&str]) {
        let owned = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
        self.branches
            .entry(branch.to_owned())
            .or_default()
            .commits
            .insert(0, sha.to_owned());
        self.reported
            .insert(sha.to_owned(), (owned(runs), owned(statuses)));
    }
}

#[derive(Debug, Default)]
struct State {
    repos: BTreeMap<String, RepoState>,
    violations: Vec<String>,
    /// Scripted answers: (method, path suffix, how many more times, answer).
    faults: Vec<(String, String, usize, StubResponse)>,
    next_id: u64,
}

/// The running mock.
#[derive(Debug)]
pub(crate) struct MockGitHub {
    server: StubServer,
    state: Arc<Mutex<State>>,
    prefix: String,
}

/// Validators for the request bodies, by schema name.
struct Schemas {
    protection: jsonschema::Validator,
    create_ruleset: jsonschema::Validator,
    update_ruleset: jsonschema::Validator,
}

impl Schemas {
    fn load() -> Self {
        let file: Value =
            serde_json::from_str(include_str!("../fixtures/github-rest-schemas.json"))
                .expect("schema fixture");
        let compile = |name: &str| {
            let mut schema = file["schemas"][name].clone();
            to_json_schema(&mut schema);
            if name == "update-branch-protection" {
                relax_contexts(&mut schema);
            }
            jsonschema::validator_for(&schema).expect("schema compiles")
        };
        Self {
            protection: compile("update-branch-protection"),
            create_ruleset: compile("create-repo-ruleset"),
            update_ruleset: compile("update-repo-ruleset"),
        }
    }
}

/// OpenAPI 3.0 → JSON Schema: `nullable` becomes a null type, and objects with `properties`
/// refuse other keys.
fn to_json_schema(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(kind)) = map.get("type").cloned() {
                    map.insert("type".into(), json!([kind, "null"]));
                }
                if let Some(Value::Array(values)) = map.get_mut("enum") {
                    values.push(Value::Null);
                }
            }
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (key, value) in map.iter_mut() {
                // `properties` maps names to schemas; a property called `nullable` is not one.
                if key == "properties" {
                    if let Value::Object(properties) = value {
                        properties.values_mut().for_each(to_json_schema);
                    }
                } else if key != "enum" && key != "example" && key != "default" {
                    to_json_schema(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(to_json_schema),
        _ => {}
    }
}

/// `required_status_checks`: `strict` and exactly one of `contexts` and `checks`.
fn relax_contexts(schema: &mut Value) {
    let checks = &mut schema["properties"]["required_status_checks"];
    checks["required"] = json!(["strict"]);
    checks["oneOf"] = json!([
        {"type": "null"},
        {"type": "object", "required": ["contexts"], "not": {"required": ["checks"]}},
        {"type": "object", "required": ["checks"], "not": {"required": ["contexts"]}}
    ]);
}

fn violations_of(validator: &jsonschema::Validator, body: &Value) -> Vec<String> {
    validator
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn message(status: u16, text: &str) -> StubResponse {
    StubResponse::json(
        status,
        &json!({"message": text, "documentation_url": "https://docs.github.com/rest"}),
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query(request: &RecordedRequest, name: &str) -> Option<String> {
    let (_, query) = request.path_and_query.split_once('?')?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode(v))
}

impl MockGitHub {
    /// Starts the mock; its API lives under `prefix` (`""` for github.com, `/api/v3` for GHES).
    pub(crate) fn start(prefix: &str) -> Self {
        let state: Arc<Mutex<State>> = Arc::default();
        let schemas = Schemas::load();
        let shared = state.clone();
        let owned_prefix = prefix.to_owned();
        let server = StubServer::start(move |request| {
            let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
            answer(&mut state, &schemas, &owned_prefix, request)
        })
        .expect("mock server");
        Self {
            server,
            state,
            prefix: prefix.to_owned(),
        }
    }

    /// `GITHUB_API_URL` for the action.
    pub(crate) fn api_url(&self) -> String {
        format!("{}{}", self.server.url(), self.prefix)
    }

    /// Adds or replaces a repository.
    pub(crate) fn add_repo(&self, full_name: &str, repo: RepoState) {
        self.with(|state| {
            state.repos.insert(full_name.to_owned(), repo);
        });
    }

    /// Changes a repository's state (as someone clicking in the UI would).
    pub(crate) fn edit_repo(&self, full_name: &str, edit: impl FnOnce(&mut RepoState)) {
        self.with(|state| edit(state.repos.get_mut(full_name).expect("known repository")));
    }

    /// A copy of a repository's state.
    pub(crate) fn repo(&self, full_name: &str) -> RepoState {
        let mut copy = None;
        self.with(|state| copy = state.repos.get(full_name).cloned());
        copy.expect("known repository")
    }

    /// Adds an organisation ruleset that shows in the repository's list.
    pub(crate) fn add_org_ruleset(&self, full_name: &str, body: Value) -> u64 {
        let mut id = 0;
        self.with(|state| {
            state.next_id += 1;
            id = state.next_id;
            let repo = state.repos.get_mut(full_name).expect("known repository");
            repo.rulesets.push(StoredRuleset {
                id,
                source_type: "Organization".into(),
                body,
            });
        });
        id
    }

    /// Answers the next `times` requests of `method` whose path ends with `path_suffix` with
    /// `response` instead.
    pub(crate) fn fail_next(
        &self,
        method: &str,
        path_suffix: &str,
        times: usize,
        response: StubResponse,
    ) {
        self.with(|state| {
            state
                .faults
                .push((method.to_owned(), path_suffix.to_owned(), times, response));
        });
    }

    /// Every request received, as `METHOD path` (prefix included).
    pub(crate) fn calls(&self) -> Vec<String> {
        self.server
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path()))
            .collect()
    }

    /// The requests that would change something (anything but GET).
    pub(crate) fn writes(&self) -> Vec<String> {
        self.server
            .requests()
            .iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path()))
            .collect()
    }

    /// Panics when a body failed the published schema or a request was not understood.
    #[track_caller]
    pub(crate) fn assert_no_violations(&self) {
        let mut violations = Vec::new();
        self.with(|state| violations = state.violations.clone());
        assert!(
            violations.is_empty(),
            "mock GitHub violations:\n{}",
            violations.join("\n")
        );
    }

    fn with(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

fn answer(
    state: &mut State,
    schemas: &Schemas,
    prefix: &str,
    request: &RecordedRequest,
) -> StubResponse {
    let authorised = matches!(
        request.header("authorization"),
        Some(value) if value == format!("Bearer {TOKEN}") || value == format!("token {TOKEN}")
    );
    if !authorised {
        return message(401, "Bad credentials");
    }
    if request.header("x-github-api-version") != Some("2022-11-28") {
        state.violations.push(format!(
            "{} {}: no X-GitHub-Api-Version",
            request.method,
            request.path()
        ));
    }
    let Some(path) = request.path().strip_prefix(prefix).map(str::to_owned) else {
        state.violations.push(format!(
            "{} {}: outside {prefix}",
            request.method,
            request.path()
        ));
        return message(404, "Not Found");
    };
    if let Some(fault) = state.faults.iter_mut().find(|(method, suffix, times, _)| {
        *method == request.method && path.ends_with(suffix.as_str()) && *times > 0
    }) {
        fault.2 -= 1;
        return fault.3.clone();
    }
    let Some(rest) = path.strip_prefix("/repos/") else {
        state
            .violations
            .push(format!("unexpected {} {path}", request.method));
        return message(404, "Not Found");
    };
    let mut parts = rest.splitn(3, '/');
    let full_name = format!(
        "{}/{}",
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default()
    );
    let tail = parts.next().map(|t| format!("/{t}")).unwrap_or_default();
    let next_id = &mut state.next_id;
    let Some(repo) = state.repos.get_mut(&full_name) else {
        return message(404, "Not Found");
    };
    let mut violations = Vec::new();
    let response = route(
        repo,
        schemas,
        request,
        &full_name,
        &tail,
        next_id,
        &mut violations,
    );
    state.violations.extend(violations);
    response
}

#[allow(clippy::too_many_lines)]
fn route(
    repo: &mut RepoState,
    schemas: &Schemas,
    request: &RecordedRequest,
    full_name: &str,
    tail: &str,
    next_id: &mut u64,
    violations: &mut Vec<String>,
) -> StubResponse {
    let method = request.method.as_str();
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let guarded = tail.starts_with("/branches/") && tail.contains("/protection")
        || tail.starts_with("/rulesets");
    if guarded && repo.plan_without_protection {
        return message(
            403,
            "Upgrade to GitHub Pro or make this repository public to enable this feature.",
        );
    }
    if guarded && repo.integration_forbidden {
        return message(403, "Resource not accessible by integration");
    }
    if tail.is_empty() {
        let mut answer = json!({
            "full_name": full_name,
            "default_branch": repo.default_branch,
            "private": false,
            "owner": {"login": full_name.split('/').next(),
                      "type": if repo.organisation { "Organization" } else { "User" }},
        });
        if let Some(admin) = repo.admin {
            answer["permissions"] = json!({"admin": admin, "push": true, "pull": true});
        }
        return StubResponse::json(200, &answer);
    }
    if let Some(branch_path) = tail.strip_prefix("/branches/") {
        let (branch, what) =
            if let Some(b) = branch_path.strip_suffix("/protection/required_signatures") {
                (b, "signatures")
            } else if let Some(b) = branch_path.strip_suffix("/protection") {
                (b, "protection")
            } else {
                (branch_path, "branch")
            };
        let branch = percent_decode(branch);
        let Some(state) = repo.branches.get_mut(&branch) else {
            return message(404, "Branch not found");
        };
        return match (method, what) {
            ("GET", "branch") => StubResponse::json(
                200,
                &json!({"name": branch, "protected": state.protection.is_some(),
                        "commit": {"sha": state.commits.first()}}),
            ),
            ("GET", "protection") => match &state.protection {
                Some(put) => StubResponse::json(200, &protection_view(put, state.signatures)),
                None => message(404, "Branch not protected"),
            },
            ("PUT", "protection") => {
                let problems = violations_of(&schemas.protection, &body);
                if !problems.is_empty() {
                    violations.push(format!(
                        "PUT protection of {branch}: {}",
                        problems.join("; ")
                    ));
                    return message(422, "Invalid request.");
                }
                state.protection = Some(body.clone());
                StubResponse::json(200, &protection_view(&body, state.signatures))
            }
            ("DELETE", "protection") => {
                state.protection = None;
                state.signatures = false;
                StubResponse::text(204, "")
            }
            (_, "signatures") if state.protection.is_none() => message(404, "Branch not protected"),
            ("GET", "signatures") => {
                StubResponse::json(200, &json!({"url": "u", "enabled": state.signatures}))
            }
            ("POST", "signatures") => {
                state.signatures = true;
                StubResponse::json(200, &json!({"url": "u", "enabled": true}))
            }
            ("DELETE", "signatures") => {
                state.signatures = false;
                StubResponse::text(204, "")
            }
            _ => {
                violations.push(format!("unexpected {method} {tail}"));
                message(404, "Not Found")
            }
        };
    }
    if tail == "/rulesets" {
        return match method {
            "GET" => {
                let list: Vec<Value> = repo
                    .rulesets
                    .iter()
                    .map(|r| {
                        json!({"id": r.id, "name": r.body["name"], "target": r.body["target"],
                               "source_type": r.source_type,
                               "source": if r.source_type == "Repository" { full_name } else { "octo-org" },
                               "enforcement": r.body["enforcement"], "node_id": format!("RRS_{}", r.id)})
                    })
                    .collect();
                StubResponse::json(200, &Value::Array(list))
            }
            "POST" => {
                let problems = violations_of(&schemas.create_ruleset, &body);
                if !problems.is_empty() {
                    violations.push(format!("POST ruleset: {}", problems.join("; ")));
                    return message(422, "Invalid request.");
                }
                let taken = repo
                    .rulesets
                    .iter()
                    .any(|r| r.source_type == "Repository" && r.body["name"] == body["name"]);
                if taken {
                    return message(422, "Validation Failed: Name must be unique");
                }
                *next_id += 1;
                repo.rulesets.push(StoredRuleset {
                    id: *next_id,
                    source_type: "Repository".into(),
                    body: body.clone(),
                });
                StubResponse::json(201, &ruleset_view(*next_id, "Repository", &body))
            }
            _ => {
                violations.push(format!("unexpected {method} {tail}"));
                message(404, "Not Found")
            }
        };
    }
    if let Some(id) = tail.strip_prefix("/rulesets/") {
        let id: u64 = id.parse().unwrap_or(0);
        let Some(ruleset) = repo.rulesets.iter_mut().find(|r| r.id == id) else {
            return message(404, "Not Found");
        };
        return match method {
            "GET" => {
                StubResponse::json(200, &ruleset_view(id, &ruleset.source_type, &ruleset.body))
            }
            "PUT" => {
                if ruleset.source_type != "Repository" {
                    violations.push(format!("PUT on organisation ruleset {id}"));
                    return message(404, "Not Found");
                }
                let problems = violations_of(&schemas.update_ruleset, &body);
                if !problems.is_empty() {
                    violations.push(format!("PUT ruleset {id}: {}", problems.join("; ")));
                    return message(422, "Invalid request.");
                }
                ruleset.body = body.clone();
                StubResponse::json(200, &ruleset_view(id, "Repository", &body))
            }
            _ => {
                violations.push(format!("unexpected {method} {tail}"));
                message(404, "Not Found")
            }
        };
    }
    if method == "GET" && tail == "/commits" {
        let branch = query(request, "sha").unwrap_or_default();
        let count: usize = query(request, "per_page")
            .and_then(|n| n.parse().ok())
            .unwrap_or(30);
        let Some(state) = repo.branches.get(&branch) else {
            return message(404, &format!("No commit found for SHA: {branch}"));
        };
        let list: Vec<Value> = state
            .commits
            .iter()
            .take(count)
            .map(|sha| json!({"sha": sha}))
            .collect();
        return StubResponse::json(200, &Value::Array(list));
    }
    if method == "GET" && tail == "/pulls" {
        let base = query(request, "base").unwrap_or_default();
        let list: Vec<Value> = repo
            .pulls
            .iter()
            .filter(|(b, _)| *b == base)
            .map(|(_, sha)| json!({"head": {"sha": sha}}))
            .collect();
        return StubResponse::json(200, &Value::Array(list));
    }
    if method == "GET"
        && let Some(commit) = tail.strip_prefix("/commits/")
    {
        let (sha, what) = commit.split_once('/').unwrap_or((commit, ""));
        let (runs, statuses) = repo.reported.get(sha).cloned().unwrap_or_default();
        return match what {
            "check-runs" => StubResponse::json(
                200,
                &json!({"total_count": runs.len(), "check_runs": runs.iter()
                    .map(|name| json!({"name": name, "app": {"id": ACTIONS_APP_ID}})).collect::<Vec<_>>()}),
            ),
            "status" => StubResponse::json(
                200,
                &json!({"state": "success", "sha": sha, "statuses": statuses.iter()
                    .map(|context| json!({"context": context, "state": "success"})).collect::<Vec<_>>()}),
            ),
            _ => {
                violations.push(format!("unexpected {method} {tail}"));
                message(404, "Not Found")
            }
        };
    }
    violations.push(format!("unexpected {method} {tail}"));
    message(404, "Not Found")
}

/// A stored PUT body, answered the way `GET …/protection` does.
fn protection_view(put: &Value, signatures: bool) -> Value {
    let flag = |key: &str| json!({"enabled": put[key].as_bool().unwrap_or(false)});
    let mut view = json!({
        "url": "https://api.github.com/repos/o/r/branches/b/protection",
        "enforce_admins": {"url": "u", "enabled": put["enforce_admins"].as_bool().unwrap_or(false)},
        "required_signatures": {"url": "u", "enabled": signatures},
    });
    for key in [
        "required_linear_history",
        "allow_force_pushes",
        "allow_deletions",
        "block_creations",
        "required_conversation_resolution",
        "lock_branch",
        "allow_fork_syncing",
    ] {
        view[key] = flag(key);
    }
    if let Some(checks) = put["required_status_checks"].as_object() {
        let listed = checks
            .get("checks")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let with_apps: Vec<Value> = listed
            .iter()
            .map(|check| {
                let app = match check.get("app_id").and_then(Value::as_i64) {
                    None => json!(ACTIONS_APP_ID),
                    Some(-1) => Value::Null,
                    Some(id) => json!(id),
                };
                json!({"context": check["context"], "app_id": app})
            })
            .collect();
        view["required_status_checks"] = json!({
            "url": "u", "enforcement_level": "non_admins", "contexts_url": "u",
            "strict": checks.get("strict"),
            "contexts": listed.iter().map(|c| c["context"].clone()).collect::<Vec<_>>(),
            "checks": with_apps,
        });
    }
    if let Some(reviews) = put["required_pull_request_reviews"].as_object() {
        let mut shown = Value::Object(reviews.clone());
        shown["url"] = json!("u");
        for key in [
            "dismiss_stale_reviews",
            "require_code_owner_reviews",
            "require_last_push_approval",
        ] {
            if shown.get(key).is_none() {
                shown[key] = json!(false);
            }
        }
        view["required_pull_request_reviews"] = shown;
    }
    if let Some(restrictions) = put["restrictions"].as_object() {
        let objects = |key: &str, field: &str| -> Vec<Value> {
            restrictions
                .get(key)
                .and_then(Value::as_array)
                .map(|names| {
                    names
                        .iter()
                        .enumerate()
                        .map(|(i, n)| json!({field: n, "id": i + 1}))
                        .collect()
                })
                .unwrap_or_default()
        };
        view["restrictions"] = json!({
            "url": "u", "users_url": "u", "teams_url": "u", "apps_url": "u",
            "users": objects("users", "login"), "teams": objects("teams", "slug"),
            "apps": objects("apps", "slug"),
        });
    }
    view
}

/// A stored ruleset, answered the way `GET …/rulesets/{id}` does (GitHub adds the merge
/// methods a pull-request rule allows).
fn ruleset_view(id: u64, source_type: &str, body: &Value) -> Value {
    let mut view = body.clone();
    view["id"] = json!(id);
    view["source_type"] = json!(source_type);
    view["source"] = json!("o/r");
    view["node_id"] = json!(format!("RRS_{id}"));
    if let Some(rules) = view.get_mut("rules").and_then(Value::as_array_mut) {
        for rule in rules.iter_mut().filter(|r| r["type"] == "pull_request") {
            if rule["parameters"].get("allowed_merge_methods").is_none() {
                rule["parameters"]["allowed_merge_methods"] = json!(["merge", "squash", "rebase"]);
            }
        }
    }
    view
}

/// The schemas the mock holds bodies to do reject what GitHub rejects.
#[test]
fn the_schemas_reject_bad_bodies() {
    let schemas = Schemas::load();
    let valid = json!({
        "required_status_checks": {"strict": true, "checks": [{"context": "test", "app_id": -1}]},
        "enforce_admins": true, "required_pull_request_reviews": null, "restrictions": null,
        "required_linear_history": false, "allow_force_pushes": false,
    });
    assert_eq!(
        violations_of(&schemas.protection, &valid),
        Vec::<String>::new()
    );
    let broken = [
        json!({"enforce_admins": true}),
        json!({"required_status_checks": {"strict": true, "contexts": [], "checks": []},
               "enforce_admins": null, "required_pull_request_reviews": null, "restrictions": null}),
        json!({"required_status_checks": {"strict": true},
               "enforce_admins": null, "required_pull_request_reviews": null, "restrictions": null}),
        json!({"required_status_checks": null, "enforce_admins": "yes",
               "required_pull_request_reviews": null, "restrictions": null}),
        json!({"required_status_checks": null, "enforce_admins": null,
               "required_pull_request_reviews": null, "restrictions": null, "enforce_admin": true}),
        json!({"required_status_checks": null, "enforce_admins": null,
               "required_pull_request_reviews": null, "restrictions": {"users": []}}),
    ];
    for body in &broken {
        assert!(
            !violations_of(&schemas.protection, body).is_empty(),
            "accepted {body}"
        );
    }
    let ruleset = json!({"name": "n", "enforcement": "active", "target": "branch",
                         "rules": [{"type": "deletion"}]});
    assert_eq!(
        violations_of(&schemas.create_ruleset, &ruleset),
        Vec::<String>::new()
    );
    assert!(!violations_of(&schemas.create_ruleset, &json!({"name": "n"})).is_empty());
    for body in [
        json!({"name": "n", "enforcement": "enforced"}),
        json!({"name": "n", "enforcement": "active", "rules": [{"type": "no_such_rule"}]}),
        json!({"name": "n", "enforcement": "active",
               "rules": [{"type": "pull_request", "parameters": {"required_approving_review_count": 1}}]}),
    ] {
        assert!(
            !violations_of(&schemas.create_ruleset, &body).is_empty(),
            "accepted {body}"
        );
        assert!(
            !violations_of(&schemas.update_ruleset, &body).is_empty(),
            "accepted {body}"
        );
    }
}
