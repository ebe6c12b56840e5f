//! The globs users write in `exclude` and `cache-control`, matched against paths relative to
//! the source directory (`assets/app-1a2b3c4d.js`).
//!
//! `*` and `?` stay within one path segment and `**` crosses segments; a pattern without a `/`
//! matches a file name at any depth (`*.html` is every HTML file), as in `.gitignore`.

use globset::{GlobBuilder, GlobMatcher};

/// One compiled pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    matcher: GlobMatcher,
}

impl Pattern {
    /// Compiles `text`; the error says what is wrong with it.
    pub fn new(text: &str) -> Result<Self, String> {
        let anchored = text.trim_start_matches('/');
        let full = if anchored.contains('/') {
            anchored.to_owned()
        } else {
            format!("**/{anchored}")
        };
        let glob = GlobBuilder::new(&full)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| e.kind().to_string())?;
        Ok(Self {
            text: text.to_owned(),
            matcher: glob.compile_matcher(),
        })
    }

    /// Whether `path` (relative, `/`-separated) matches.
    pub fn matches(&self, path: &str) -> bool {
        self.matcher.is_match(path)
    }

    /// The pattern as the user wrote it.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Compiles every pattern of a list input; the error names the input and the pattern.
pub fn compile_all(input: &str, texts: &[String]) -> anyhow::Result<Vec<Pattern>> {
    texts
        .iter()
        .map(|text| {
            Pattern::new(text).map_err(|error| {
                anyhow::anyhow!("input '{input}': '{text}' is not a valid glob: {error}")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        Pattern::new(pattern).expect("valid").matches(path)
    }

    #[test]
    fn names_without_a_slash_match_at_any_depth() {
        assert!(matches("*.html", "index.html"));
        assert!(matches("*.html", "docs/guide/index.html"));
        assert!(!matches("*.html", "index.htm"));
        assert!(matches(".DS_Store", "a/b/.DS_Store"));
    }

    #[test]
    fn paths_with_a_slash_are_anchored_and_star_stays_in_a_segment() {
        assert!(matches("assets/*.js", "assets/app.js"));
        assert!(!matches("assets/*.js", "assets/sub/app.js"));
        assert!(!matches("assets/*.js", "x/assets/app.js"));
        assert!(matches("assets/**", "assets/sub/app.js"));
        assert!(matches("/drafts/**", "drafts/a.html"));
        assert!(matches("**/*.{js,css}", "a/b.css"));
    }

    #[test]
    fn bad_globs_are_named() {
        let error = compile_all("exclude", &["ok/**".into(), "assets/[".into()])
            .expect_err("unclosed class");
        assert!(
            error
                .to_string()
                .starts_with("input 'exclude': 'assets/[' is not a valid glob"),
            "{error}"
        );
    }
}
