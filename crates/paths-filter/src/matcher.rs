//! Matching changed files against the filters.
//!
//! Every pattern of every filter is compiled once, into one set of globs (grouped by shape, see
//! [`crate::globs`]); each path is then matched against the whole set in one pass, and each
//! filter's rules read the answer. No pattern is compiled per file, and no path is matched once per pattern.
//!
//! Files are matched one by one as they arrive ([`Matching`] is the [`FileSink`] git's output is
//! read into), so matching overlaps with git's work; only the files the report needs are kept
//! ([`Keep`]).
//!
//! Compiling is also where the set is made cheap to match: a pattern used by several filters
//! (YAML anchors) is compiled once, simple braces are expanded (`**/*.{ts,css}` becomes two
//! extension lookups instead of a regex), and `**` needs no matching at all.

use std::collections::HashMap;

use anyhow::Context as _;

use crate::globs::{MatchCache, ShapedGlobs, ShapedGlobsBuilder, build_glob};

use crate::changes::{ChangeStatus, ChangedFiles, FileSink};
use crate::filters::Filter;

/// How a filter combines its rules (the `predicate-quantifier` input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// A file matches when any rule matches.
    Some,
    /// A file matches when every rule matches.
    Every,
}

/// Brace expansion stops beyond this many alternatives (globset then handles the braces).
const MAX_EXPANSION: usize = 64;

#[derive(Debug)]
struct CompiledPattern {
    /// Indices into the set: the pattern matches when any of them does.
    globs: Vec<usize>,
    /// The pattern matches every path (`**`).
    always: bool,
    negated: bool,
}

impl CompiledPattern {
    fn matches(&self, hit: &[bool]) -> bool {
        (self.always || self.globs.iter().any(|&i| hit[i])) != self.negated
    }
}

#[derive(Debug)]
struct CompiledRule {
    statuses: Option<Vec<ChangeStatus>>,
    patterns: Vec<CompiledPattern>,
}

impl CompiledRule {
    fn allows(&self, status: ChangeStatus) -> bool {
        self.statuses.as_ref().is_none_or(|s| s.contains(&status))
    }
}

/// The filters, compiled.
#[derive(Debug)]
pub struct Matcher {
    set: ShapedGlobs,
    filters: Vec<(String, Vec<CompiledRule>)>,
    quantifier: Quantifier,
    /// For filters whose every pattern is a plain positive glob (with `some`): which
    /// (filter, rule) each glob serves, so a path's few hits decide them directly.
    served_by_glob: Vec<Vec<(usize, usize)>>,
    /// The other filters (negations, `**`, `every`): evaluated rule by rule.
    evaluated: Vec<usize>,
}

/// Which matched files are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Every changed file, and every file each filter matched.
    All,
    /// Each filter's first files (this many); the others are counted, and a file no filter
    /// keeps is not kept at all.
    First(usize),
}

/// What one filter matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterMatches {
    /// The filter's name.
    pub name: String,
    /// How many files it matched.
    pub count: usize,
    /// The kept files it matched (indices into [`Matched::files`]), in order.
    pub files: Vec<usize>,
}

/// What the filters matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// How many changed files there were.
    pub total: usize,
    /// The kept changed files, in order.
    pub files: ChangedFiles,
    /// Each filter's matches, in filter order.
    pub filters: Vec<FilterMatches>,
}

impl Matcher {
    /// Compiles every pattern once.
    pub fn new(filters: &[Filter], quantifier: Quantifier) -> anyhow::Result<Self> {
        let mut builder = ShapedGlobsBuilder::default();
        let mut indices: HashMap<String, usize> = HashMap::new();
        let mut compiled = Vec::with_capacity(filters.len());
        for filter in filters {
            let mut rules = Vec::with_capacity(filter.rules.len());
            for rule in &filter.rules {
                let mut patterns = Vec::with_capacity(rule.patterns.len());
                for pattern in &rule.patterns {
                    let invalid = || {
                        format!(
                            "Invalid filter YAML format: filter '{}': pattern '{}' is not a valid glob",
                            filter.name, pattern.source
                        )
                    };
                    build_glob(&pattern.glob).with_context(invalid)?;
                    let mut compiled_pattern = CompiledPattern {
                        globs: Vec::new(),
                        always: false,
                        negated: pattern.negated,
                    };
                    for alternative in expand_braces(&pattern.glob) {
                        if alternative == "**" {
                            compiled_pattern.always = true;
                            continue;
                        }
                        let index = match indices.get(&alternative) {
                            Some(&index) => index,
                            None => {
                                let index = builder.add(&alternative).with_context(invalid)?;
                                indices.insert(alternative, index);
                                index
                            }
                        };
                        compiled_pattern.globs.push(index);
                    }
                    patterns.push(compiled_pattern);
                }
                rules.push(CompiledRule {
                    statuses: rule.statuses.clone(),
                    patterns,
                });
            }
            compiled.push((filter.name.clone(), rules));
        }
        let mut served_by_glob = vec![Vec::new(); indices.len()];
        let mut evaluated = Vec::new();
        for (f, (_, rules)) in compiled.iter().enumerate() {
            let plain = quantifier == Quantifier::Some
                && rules
                    .iter()
                    .flat_map(|r| &r.patterns)
                    .all(|p| !p.negated && !p.always);
            if !plain {
                evaluated.push(f);
                continue;
            }
            for (r, rule) in rules.iter().enumerate() {
                for &g in rule.patterns.iter().flat_map(|p| &p.globs) {
                    served_by_glob[g].push((f, r));
                }
            }
        }
        Ok(Self {
            set: builder
                .build()
                .context("cannot compile the filters' patterns")?,
            filters: compiled,
            quantifier,
            served_by_glob,
            evaluated,
        })
    }

    /// An empty result, to give files to.
    pub fn matching(&self, keep: Keep) -> Matching<'_> {
        Matching {
            matcher: self,
            keep,
            matched: Matched {
                total: 0,
                files: ChangedFiles::default(),
                filters: self.empty_matches(),
            },
            cache: MatchCache::default(),
            hits: Vec::new(),
            hit: vec![false; self.set.len()],
            done: vec![false; self.filters.len()],
            touched: Vec::new(),
        }
    }

    fn empty_matches(&self) -> Vec<FilterMatches> {
        self.filters
            .iter()
            .map(|(name, _)| FilterMatches {
                name: name.clone(),
                count: 0,
                files: Vec::new(),
            })
            .collect()
    }

    fn filter_matches(&self, rules: &[CompiledRule], status: ChangeStatus, hit: &[bool]) -> bool {
        let rule_matches = |rule: &CompiledRule| {
            rule.allows(status) && rule.patterns.iter().any(|p| p.matches(hit))
        };
        match self.quantifier {
            Quantifier::Some => rules.iter().any(rule_matches),
            Quantifier::Every => rules.iter().all(rule_matches),
        }
    }
}

/// The changed files so far and what each filter matched of them.
#[derive(Debug)]
pub struct Matching<'m> {
    matcher: &'m Matcher,
    keep: Keep,
    matched: Matched,
    cache: MatchCache,
    /// Scratch space of one file's matching, kept to spare allocations.
    hits: Vec<usize>,
    hit: Vec<bool>,
    done: Vec<bool>,
    touched: Vec<usize>,
}

impl Matching<'_> {
    /// What the filters matched.
    pub fn finish(self) -> Matched {
        self.matched
    }

    /// The filters `path` matches, into `touched`.
    fn filters_matching(&mut self, path: &str, status: ChangeStatus) {
        let matcher = self.matcher;
        matcher
            .set
            .matches_into(path, &mut self.cache, &mut self.hits);
        for &h in &self.hits {
            for &(f, r) in &matcher.served_by_glob[h] {
                if !self.done[f] && matcher.filters[f].1[r].allows(status) {
                    self.done[f] = true;
                    self.touched.push(f);
                }
            }
        }
        for &f in &self.touched {
            self.done[f] = false;
        }
        if matcher.evaluated.is_empty() {
            return;
        }
        for &h in &self.hits {
            self.hit[h] = true;
        }
        for &f in &matcher.evaluated {
            if matcher.filter_matches(&matcher.filters[f].1, status, &self.hit) {
                self.touched.push(f);
            }
        }
        for &h in &self.hits {
            self.hit[h] = false;
        }
    }
}

impl FileSink for Matching<'_> {
    fn push(&mut self, path: &str, status: ChangeStatus) {
        self.filters_matching(path, status);
        let matched = &mut self.matched;
        matched.total += 1;
        // The index the file gets if it is kept.
        let index = matched.files.len();
        let mut kept = self.keep == Keep::All;
        for f in self.touched.drain(..) {
            let filter = &mut matched.filters[f];
            filter.count += 1;
            if let Keep::First(first) = self.keep
                && filter.files.len() >= first
            {
                continue;
            }
            filter.files.push(index);
            kept = true;
        }
        if kept {
            matched.files.push(path, status);
        }
    }

    fn clear(&mut self) {
        self.matched.total = 0;
        self.matched.files.clear();
        for filter in &mut self.matched.filters {
            filter.count = 0;
            filter.files.clear();
        }
    }
}

/// `a/{b,c}/*.{x,y}` → the four globs it stands for. Patterns with escapes, character classes
/// or nested braces, or that would expand to more than [`MAX_EXPANSION`] globs, are kept whole.
fn expand_braces(glob: &str) -> Vec<String> {
    let whole = || vec![glob.to_owned()];
    if glob.contains(['\\', '[']) {
        return whole();
    }
    let Some(open) = glob.find('{') else {
        return whole();
    };
    let Some(close) = glob[open..].find('}').map(|i| open + i) else {
        return whole();
    };
    let inner = &glob[open + 1..close];
    if inner.contains('{') {
        return whole();
    }
    let (head, tail) = (&glob[..open], &glob[close + 1..]);
    let tails = expand_braces(tail);
    let alternatives = inner.split(',').count();
    if alternatives * tails.len() > MAX_EXPANSION {
        return whole();
    }
    inner
        .split(',')
        .flat_map(|alternative| tails.iter().map(move |t| format!("{head}{alternative}{t}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filters::parse_filters;

    fn run(
        yaml: &str,
        quantifier: Quantifier,
        files: &[(&str, ChangeStatus)],
    ) -> Vec<(String, Vec<String>)> {
        let filters = parse_filters(yaml).expect("valid filters");
        let matcher = Matcher::new(&filters, quantifier).expect("compiles");
        let mut matching = matcher.matching(Keep::All);
        for (path, status) in files {
            matching.push(path, *status);
        }
        let matched = matching.finish();
        matched
            .filters
            .into_iter()
            .map(|filter| {
                assert_eq!(filter.count, filter.files.len());
                let paths = filter.files.into_iter();
                (
                    filter.name,
                    paths.map(|i| matched.files.path(i).to_owned()).collect(),
                )
            })
            .collect()
    }

    use ChangeStatus::{Added, Deleted, Modified};

    #[test]
    fn star_stays_in_a_segment_and_dot_files_match() {
        let got = run(
            "root: '*'\njs: '**/*.js'\n",
            Quantifier::Some,
            &[
                ("LICENSE", Modified),
                ("lib/a.js", Modified),
                (".test/.test.js", Added),
            ],
        );
        assert_eq!(got[0].1, ["LICENSE"]);
        assert_eq!(got[1].1, ["lib/a.js", ".test/.test.js"]);
    }

    #[test]
    fn change_types_restrict_a_rule() {
        let got = run(
            "add:\n  - added: 'src/**'\nnotdel:\n  - added|modified: 'src/**'\n",
            Quantifier::Some,
            &[
                ("src/new.js", Added),
                ("src/old.js", Modified),
                ("src/gone.js", Deleted),
            ],
        );
        assert_eq!(got[0].1, ["src/new.js"]);
        assert_eq!(got[1].1, ["src/new.js", "src/old.js"]);
    }

    #[test]
    fn every_with_negations_excludes() {
        let yaml = "backend:\n  - 'pkg/a/b/c/**'\n  - '!**/*.jpeg'\n  - '!**/*.md'\n";
        let files = [
            ("pkg/a/b/c/some-class.ts", Modified),
            ("pkg/a/b/c/some-docs.md", Modified),
            ("pkg/x/y/z/some-class.ts", Modified),
        ];
        assert_eq!(
            run(yaml, Quantifier::Every, &files)[0].1,
            ["pkg/a/b/c/some-class.ts"]
        );
        // With `some`, each negation alone matches almost everything.
        assert_eq!(run(yaml, Quantifier::Some, &files)[0].1.len(), 3);
    }

    #[test]
    fn braces_expand_into_plain_globs() {
        assert_eq!(expand_braces("**/*.{ts,css}"), ["**/*.ts", "**/*.css"]);
        assert_eq!(
            expand_braces("{a,b}/x.{1,2}"),
            ["a/x.1", "a/x.2", "b/x.1", "b/x.2"]
        );
        assert_eq!(expand_braces("{,min.}js"), ["js", "min.js"]);
        for kept in ["a/[{]b}", "a\\{b,c}", "{a,{b,c}}", "plain/**"] {
            assert_eq!(expand_braces(kept), [kept]);
        }
    }

    #[test]
    fn shared_and_expanded_patterns_match_as_written() {
        let yaml = "a: &s ['**/*.{py,md}', '**']\nb: [*s]\nc: ['!{docs,site}/**']\n";
        let got = run(
            yaml,
            Quantifier::Some,
            &[("docs/x.md", Modified), ("src/y.rs", Modified)],
        );
        assert_eq!(got[0].1, ["docs/x.md", "src/y.rs"]);
        assert_eq!(got[1].1, ["docs/x.md", "src/y.rs"]);
        assert_eq!(got[2].1, ["src/y.rs"]);
    }

    #[test]
    fn cleared_matching_starts_again() {
        let filters = parse_filters("src: 'src/**'\nall: '**'\n").expect("valid");
        let matcher = Matcher::new(&filters, Quantifier::Some).expect("compiles");
        let mut matching = matcher.matching(Keep::All);
        matching.push("src/a", Modified);
        matching.clear();
        matching.push("docs/b", Added);
        matching.push("src/c", Added);
        let matched = matching.finish();
        assert_eq!(matched.total, 2);
        assert_eq!(matched.files.len(), 2);
        assert_eq!(matched.filters[0].files, [1]);
        assert_eq!(matched.filters[1].files, [0, 1]);
    }

    #[test]
    fn only_each_filters_first_files_are_kept_and_all_are_counted() {
        let filters = parse_filters("src: 'src/**'\ndocs: 'docs/**'\n").expect("valid");
        let matcher = Matcher::new(&filters, Quantifier::Some).expect("compiles");
        let mut matching = matcher.matching(Keep::First(2));
        for path in [
            "src/1", "other", "src/2", "docs/1", "src/3", "src/4", "docs/2",
        ] {
            matching.push(path, Modified);
        }
        let matched = matching.finish();
        assert_eq!(matched.total, 7);
        let kept: Vec<&str> = matched.files.paths().collect();
        assert_eq!(kept, ["src/1", "src/2", "docs/1", "docs/2"]);
        assert_eq!(
            (matched.filters[0].count, &matched.filters[0].files[..]),
            (4, &[0, 1][..])
        );
        assert_eq!(
            (matched.filters[1].count, &matched.filters[1].files[..]),
            (2, &[2, 3][..])
        );
    }

    #[test]
    fn negated_extglob_matches_the_rest() {
        let got = run(
            "backend: '!(**/*.tsx|**/*.less)'\n",
            Quantifier::Some,
            &[
                ("src/ui.tsx", Modified),
                ("src/ui.less", Modified),
                ("src/server.py", Modified),
            ],
        );
        assert_eq!(got[0].1, ["src/server.py"]);
    }
}
