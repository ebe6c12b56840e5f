//! The listener as data, and what follows from it without asking AWS: where a request lands
//! (rules in priority order, then the default action), the routing table of the summary and
//! the tests, the rule budget, a free priority, and the weights of a forward action.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::bail;

/// Highest rule priority an ALB listener accepts.
pub const MAX_PRIORITY: u32 = 50_000;

/// Most target groups one forward action holds.
pub const MAX_FORWARD_TARGETS: usize = 5;

/// Highest weight of a target group in a forward action.
pub const MAX_WEIGHT: u32 = 999;

/// One condition of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `http-header`: the header (any letter case) has one of the values.
    Header {
        /// Header name.
        name: String,
        /// Values (`*` and `?` are wildcards).
        values: Vec<String>,
    },
    /// `query-string`: one of the key/value pairs is in the query (a missing key: any key).
    Query {
        /// The pairs.
        pairs: Vec<(Option<String>, String)>,
    },
    /// Any other field (`path-pattern`, `host-header`, …), by name: the routing table's
    /// requests do not satisfy it.
    Other(String),
}

/// What a rule or the default action does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Forward to target groups by weight.
    Forward(Vec<(String, u32)>),
    /// Anything else (`fixed-response`, `redirect`, …), described.
    Other(String),
}

/// A listener rule; the default rule has no priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its ARN.
    pub arn: String,
    /// Its priority; `None` for the default rule.
    pub priority: Option<u32>,
    /// Its conditions (all must hold).
    pub conditions: Vec<Condition>,
    /// Its action.
    pub action: Action,
}

/// A listener: its rules and its default action.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listener {
    /// The non-default rules.
    pub rules: Vec<Rule>,
    /// The default action.
    pub default: Option<Action>,
}

/// A request of the routing table: at most one header and one query pair.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// A header and its value.
    pub header: Option<(String, String)>,
    /// A query key and its value.
    pub query: Option<(String, String)>,
}

impl Request {
    /// How the routing table shows it.
    pub fn describe(&self) -> String {
        match (&self.header, &self.query) {
            (None, None) => "no affinity header".to_owned(),
            (Some((name, value)), None) => format!("header {name}: {value}"),
            (None, Some((key, value))) => format!("query ?{key}={value}"),
            (Some((name, value)), Some((key, v))) => format!("header {name}: {value}, ?{key}={v}"),
        }
    }
}

/// `*` any run, `?` one character; the rest compared without letter case, as ALB does for
/// header values.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl Condition {
    fn holds_for(&self, request: &Request) -> bool {
        match self {
            Condition::Header { name, values } => request.header.as_ref().is_some_and(|(h, v)| {
                h.eq_ignore_ascii_case(name) && values.iter().any(|p| glob_matches(p, v))
            }),
            Condition::Query { pairs } => request.query.as_ref().is_some_and(|(k, v)| {
                pairs.iter().any(|(key, value)| {
                    key.as_ref().is_none_or(|key| glob_matches(key, k)) && glob_matches(value, v)
                })
            }),
            Condition::Other(_) => false,
        }
    }
}

/// Where a request lands: the rule that matched (`None`: the default action) and its action.
pub fn route<'a>(
    listener: &'a Listener,
    request: &Request,
) -> (Option<&'a Rule>, Option<&'a Action>) {
    let mut rules: Vec<&Rule> = listener.rules.iter().collect();
    rules.sort_by_key(|r| r.priority.unwrap_or(u32::MAX));
    match rules
        .into_iter()
        .find(|rule| rule.conditions.iter().all(|c| c.holds_for(request)))
    {
        Some(rule) => (Some(rule), Some(&rule.action)),
        None => (None, listener.default.as_ref()),
    }
}

/// One row of the routing table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The request, described.
    pub request: String,
    /// The rule that matched: `priority N` or `default`.
    pub rule: String,
    /// Where it lands: version ids with weights, or the other action.
    pub lands_on: String,
    /// The versions that receive it with a weight above 0 (ids, or target-group ARNs that are
    /// no version's).
    pub versions: Vec<String>,
}

/// Describes an action with target groups named by the version they belong to.
pub fn describe_action(
    action: Option<&Action>,
    version_of: &BTreeMap<String, String>,
) -> (String, Vec<String>) {
    match action {
        None => ("nothing".to_owned(), Vec::new()),
        Some(Action::Other(what)) => (what.clone(), Vec::new()),
        Some(Action::Forward(targets)) => {
            let total: u32 = targets.iter().map(|(_, w)| *w).sum();
            let live: Vec<&(String, u32)> = targets
                .iter()
                .filter(|(_, w)| *w > 0 || total == 0)
                .collect();
            let names: Vec<String> = live
                .iter()
                .map(|(tg, _)| version_of.get(tg).cloned().unwrap_or_else(|| tg.clone()))
                .collect();
            let text = if live.len() == 1 {
                names[0].clone()
            } else {
                live.iter()
                    .zip(&names)
                    .map(|((_, w), name)| format!("{name} ({}%)", percent(*w, total)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            (text, names)
        }
    }
}

/// `weight` as a rounded percentage of `total` (0 when the total is 0).
pub fn percent(weight: u32, total: u32) -> u32 {
    (weight * 100 + total / 2).checked_div(total).unwrap_or(0)
}

/// The routing table: a request without affinity, then one request for each header and query
/// condition of `affinity_rules` (the versions' own rules), in priority order.
pub fn routing_table(
    listener: &Listener,
    affinity_rules: &BTreeSet<String>,
    version_of: &BTreeMap<String, String>,
) -> Vec<Route> {
    let mut requests = vec![Request::default()];
    let mut rules: Vec<&Rule> = listener
        .rules
        .iter()
        .filter(|r| affinity_rules.contains(&r.arn))
        .collect();
    rules.sort_by_key(|r| r.priority.unwrap_or(u32::MAX));
    for rule in rules {
        for condition in &rule.conditions {
            match condition {
                Condition::Header { name, values } => {
                    requests.extend(values.iter().map(|v| Request {
                        header: Some((name.clone(), v.clone())),
                        query: None,
                    }));
                }
                Condition::Query { pairs } => {
                    requests.extend(pairs.iter().filter_map(|(k, v)| {
                        k.as_ref().map(|k| Request {
                            header: None,
                            query: Some((k.clone(), v.clone())),
                        })
                    }));
                }
                Condition::Other(_) => {}
            }
        }
    }
    requests
        .into_iter()
        .map(|request| {
            let (rule, action) = route(listener, &request);
            let (lands_on, versions) = describe_action(action, version_of);
            Route {
                request: request.describe(),
                rule: rule
                    .and_then(|r| r.priority)
                    .map_or_else(|| "default".to_owned(), |p| format!("priority {p}")),
                lands_on,
                versions,
            }
        })
        .collect()
}

/// The lowest priority in 1..=50000 that no rule of the listener uses.
pub fn free_priority(used: &BTreeSet<u32>) -> Option<u32> {
    (1..=MAX_PRIORITY).find(|p| !used.contains(p))
}

/// Target groups an action forwards to with a weight above 0.
pub fn weighted_targets(action: &Action) -> Vec<&str> {
    match action {
        Action::Forward(targets) => targets
            .iter()
            .filter(|(_, w)| *w > 0)
            .map(|(tg, _)| tg.as_str())
            .collect(),
        Action::Other(_) => Vec::new(),
    }
}

/// The default action at one step of a traffic shift: `percent` % to `new`, the rest to what
/// the default forwarded to before, in the same proportions. At 100 % only `new` remains.
pub fn shifted(
    before: Option<&Action>,
    new: &str,
    percent: u32,
) -> anyhow::Result<Vec<(String, u32)>> {
    if !(1..=100).contains(&percent) {
        bail!("a traffic step must be 1 to 100 %, got {percent}");
    }
    let old: Vec<(String, u32)> = match before {
        Some(Action::Forward(targets)) => targets
            .iter()
            .filter(|(tg, w)| *w > 0 && tg != new)
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    if percent == 100 || old.is_empty() {
        return Ok(vec![(new.to_owned(), 1)]);
    }
    if old.len() + 1 > MAX_FORWARD_TARGETS {
        bail!(
            "the listener's default action forwards to {} target groups; a traffic shift adds one, and a forward action holds at most {MAX_FORWARD_TARGETS}",
            old.len()
        );
    }
    let total: u32 = old.iter().map(|(_, w)| *w).sum();
    let rest = 100 - percent;
    let mut weights = vec![(new.to_owned(), percent)];
    weights.extend(old.into_iter().map(|(tg, w)| {
        let share = (u64::from(w) * u64::from(rest) / u64::from(total.max(1))) as u32;
        (tg, share.clamp(1, MAX_WEIGHT))
    }));
    Ok(weights)
}

/// Parses `traffic-steps`: ascending percentages, 1 to 100, ending at 100.
pub fn parse_steps(input: &str, text: &str) -> anyhow::Result<Vec<u32>> {
    let steps = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('%').parse::<u32>().map_err(|_| {
                anyhow::anyhow!("input '{input}': '{s}' is not a percentage (1 to 100)")
            })
        })
        .collect::<anyhow::Result<Vec<u32>>>()?;
    if let Some(bad) = steps.iter().find(|s| !(1..=100).contains(*s)) {
        bail!("input '{input}': weights must be 1 to 100 %, got {bad}");
    }
    if steps.windows(2).any(|w| w[0] >= w[1]) || steps.last() != Some(&100) {
        bail!(
            "input '{input}': expected ascending percentages ending at 100, e.g. `10,50,100`; got '{text}'"
        );
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_rule(priority: u32, value: &str, tg: &str) -> Rule {
        Rule {
            arn: format!("rule/{priority}"),
            priority: Some(priority),
            conditions: vec![Condition::Header {
                name: "X-Affinity".into(),
                values: vec![value.into()],
            }],
            action: Action::Forward(vec![(tg.into(), 1)]),
        }
    }

    fn versions() -> BTreeMap<String, String> {
        [("tg/a", "v1"), ("tg/b", "v2"), ("tg/c", "v3")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn requests_without_affinity_take_the_default_others_their_rule() {
        let listener = Listener {
            rules: vec![
                header_rule(2, "v2", "tg/b"),
                header_rule(1, "v1", "tg/a"),
                Rule {
                    arn: "rule/3".into(),
                    priority: Some(3),
                    conditions: vec![Condition::Query {
                        pairs: vec![(Some("aff".into()), "v1".into())],
                    }],
                    action: Action::Forward(vec![("tg/a".into(), 1)]),
                },
            ],
            default: Some(Action::Forward(vec![("tg/b".into(), 1)])),
        };
        let ours: BTreeSet<String> = ["rule/1", "rule/2", "rule/3"].map(String::from).into();
        let table = routing_table(&listener, &ours, &versions());
        let rows: Vec<(&str, &str, &str)> = table
            .iter()
            .map(|r| (r.request.as_str(), r.rule.as_str(), r.lands_on.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("no affinity header", "default", "v2"),
                ("header X-Affinity: v1", "priority 1", "v1"),
                ("header X-Affinity: v2", "priority 2", "v2"),
                ("query ?aff=v1", "priority 3", "v1"),
            ]
        );
    }

    #[test]
    fn weights_wildcards_and_other_conditions() {
        let listener = Listener {
            rules: vec![
                Rule {
                    arn: "user".into(),
                    priority: Some(1),
                    conditions: vec![Condition::Other("path-pattern".into())],
                    action: Action::Other("fixed-response 404".into()),
                },
                Rule {
                    arn: "wild".into(),
                    priority: Some(5),
                    conditions: vec![Condition::Header {
                        name: "x-affinity".into(),
                        values: vec!["v*".into()],
                    }],
                    action: Action::Forward(vec![("tg/c".into(), 1)]),
                },
                header_rule(9, "v1", "tg/a"),
            ],
            default: Some(Action::Forward(vec![
                ("tg/a".into(), 90),
                ("tg/b".into(), 10),
                ("tg/c".into(), 0),
            ])),
        };
        let ours: BTreeSet<String> = ["rule/9".to_owned()].into();
        let table = routing_table(&listener, &ours, &versions());
        assert_eq!(table[0].lands_on, "v1 (90%), v2 (10%)");
        assert_eq!(table[0].versions, ["v1", "v2"]);
        // The wildcard rule at priority 5 shadows the version's own rule.
        assert_eq!(
            (table[1].rule.as_str(), table[1].lands_on.as_str()),
            ("priority 5", "v3")
        );
        assert!(glob_matches("a?c*", "ABCdef"));
        assert!(!glob_matches("a?c", "ac"));
    }

    #[test]
    fn free_priorities_and_shift_weights() {
        assert_eq!(free_priority(&BTreeSet::new()), Some(1));
        assert_eq!(free_priority(&[1, 2, 4].into()), Some(3));
        let full: BTreeSet<u32> = (1..=MAX_PRIORITY).collect();
        assert_eq!(free_priority(&full), None);
        let before = Action::Forward(vec![("old".into(), 1)]);
        assert_eq!(
            shifted(Some(&before), "new", 10).expect("ok"),
            [("new".to_owned(), 10), ("old".to_owned(), 90)]
        );
        assert_eq!(
            shifted(Some(&before), "new", 100).expect("ok"),
            [("new".to_owned(), 1)]
        );
        assert_eq!(
            shifted(None, "new", 50).expect("ok"),
            [("new".to_owned(), 1)]
        );
        let five = Action::Forward((0..5).map(|i| (format!("tg{i}"), 1)).collect());
        assert!(shifted(Some(&five), "new", 10).is_err());
        assert!(shifted(Some(&before), "new", 0).is_err());
    }

    #[test]
    fn traffic_steps() {
        assert_eq!(
            parse_steps("traffic-steps", "10, 50%,100").expect("ok"),
            [10, 50, 100]
        );
        assert!(parse_steps("traffic-steps", "10,150").is_err());
        assert!(parse_steps("traffic-steps", "50,10,100").is_err());
        assert!(parse_steps("traffic-steps", "10,50").is_err());
        assert!(parse_steps("traffic-steps", "ten").is_err());
    }
}
