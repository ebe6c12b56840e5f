//! Matching changed files against the filters.
//!
//! Every pattern of every filter is compiled once, into one `GlobSet`; each path is then
//! matched against the whole set in one pass (`matches_into`), and each filter's rules read the
//! answer. No pattern is compiled per file, and no path is matched once per pattern.

use anyhow::Context as _;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::changes::{ChangeStatus, ChangedFile};
use crate::filters::Filter;

/// How a filter combines its rules (the `predicate-quantifier` input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// A file matches when any rule matches.
    Some,
    /// A file matches when every rule matches.
    Every,
}

#[derive(Debug)]
struct CompiledRule {
    statuses: Option<Vec<ChangeStatus>>,
    /// Indices into the set, and whether each is negated.
    patterns: Vec<(usize, bool)>,
}

/// The filters, compiled.
#[derive(Debug)]
pub struct Matcher {
    set: GlobSet,
    filters: Vec<(String, Vec<CompiledRule>)>,
    quantifier: Quantifier,
}

/// Below this many files, matching stays on one thread.
const PARALLEL_THRESHOLD: usize = 4096;

/// Which files each filter matched, as indices into the file list, in filter order.
pub type Matches = Vec<(String, Vec<usize>)>;

impl Matcher {
    /// Compiles every pattern once.
    pub fn new(filters: &[Filter], quantifier: Quantifier) -> anyhow::Result<Self> {
        let mut builder = GlobSetBuilder::new();
        let mut next = 0;
        let mut compiled = Vec::with_capacity(filters.len());
        for filter in filters {
            let mut rules = Vec::with_capacity(filter.rules.len());
            for rule in &filter.rules {
                let mut patterns = Vec::with_capacity(rule.patterns.len());
                for pattern in &rule.patterns {
                    let glob = GlobBuilder::new(&pattern.glob)
                        .literal_separator(true)
                        .backslash_escape(true)
                        .empty_alternates(true)
                        .build()
                        .with_context(|| {
                            format!(
                                "Invalid filter YAML format: filter '{}': pattern '{}' is not a valid glob",
                                filter.name, pattern.source
                            )
                        })?;
                    builder.add(glob);
                    patterns.push((next, pattern.negated));
                    next += 1;
                }
                rules.push(CompiledRule {
                    statuses: rule.statuses.clone(),
                    patterns,
                });
            }
            compiled.push((filter.name.clone(), rules));
        }
        Ok(Self {
            set: builder
                .build()
                .context("cannot compile the filters' patterns")?,
            filters: compiled,
            quantifier,
        })
    }

    /// The files each filter matches; large lists are split across the machine's cores.
    pub fn match_files(&self, files: &[ChangedFile]) -> Matches {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        if threads < 2 || files.len() < PARALLEL_THRESHOLD {
            return self.match_range(files, 0);
        }
        let chunk = files.len().div_ceil(threads);
        let parts: Vec<Matches> = std::thread::scope(|scope| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .enumerate()
                .map(|(i, part)| scope.spawn(move || self.match_range(part, i * chunk)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        });
        let mut merged = self.empty_matches();
        for part in parts {
            for ((_, all), (_, some)) in merged.iter_mut().zip(part) {
                all.extend(some);
            }
        }
        merged
    }

    fn empty_matches(&self) -> Matches {
        self.filters
            .iter()
            .map(|(name, _)| (name.clone(), Vec::new()))
            .collect()
    }

    /// Matches `files`, whose first element has index `offset` in the whole list.
    fn match_range(&self, files: &[ChangedFile], offset: usize) -> Matches {
        let mut matches = self.empty_matches();
        let mut hits = Vec::new();
        let mut hit = vec![false; self.set.len()];
        for (index, file) in files.iter().enumerate() {
            self.set.matches_into(file.path.as_str(), &mut hits);
            for &h in &hits {
                hit[h] = true;
            }
            for ((_, rules), (_, matched)) in self.filters.iter().zip(matches.iter_mut()) {
                if self.filter_matches(rules, file.status, &hit) {
                    matched.push(offset + index);
                }
            }
            for &h in &hits {
                hit[h] = false;
            }
        }
        matches
    }

    fn filter_matches(&self, rules: &[CompiledRule], status: ChangeStatus, hit: &[bool]) -> bool {
        let rule_matches = |rule: &CompiledRule| {
            rule.statuses.as_ref().is_none_or(|s| s.contains(&status))
                && rule.patterns.iter().any(|&(i, negated)| hit[i] != negated)
        };
        match self.quantifier {
            Quantifier::Some => rules.iter().any(rule_matches),
            Quantifier::Every => rules.iter().all(rule_matches),
        }
    }
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
        let files: Vec<ChangedFile> = files
            .iter()
            .map(|(p, s)| ChangedFile::new(*p, *s))
            .collect();
        Matcher::new(&filters, quantifier)
            .expect("compiles")
            .match_files(&files)
            .into_iter()
            .map(|(name, idx)| {
                (
                    name,
                    idx.into_iter().map(|i| files[i].path.clone()).collect(),
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
    fn parallel_matching_keeps_the_order_and_indices() {
        let filters = parse_filters("even: '**/even/*'\nall: '**'\n").expect("valid");
        let files: Vec<ChangedFile> = (0..10_000)
            .map(|i| {
                ChangedFile::new(
                    format!("d/{}/f{i}", if i % 2 == 0 { "even" } else { "odd" }),
                    Modified,
                )
            })
            .collect();
        let matcher = Matcher::new(&filters, Quantifier::Some).expect("compiles");
        let matches = matcher.match_files(&files);
        assert_eq!(matches, matcher.match_range(&files, 0));
        assert_eq!(matches[0].1, (0..10_000).step_by(2).collect::<Vec<_>>());
        assert_eq!(matches[1].1.len(), 10_000);
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
