//! The `<filter>_files` list formats, quoting exactly as dorny does.

use anyhow::bail;

/// The `list-files` input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    /// No `_files` outputs.
    None,
    /// Comma-separated, RFC 4180 quoting where needed.
    Csv,
    /// A JSON array.
    Json,
    /// Space-separated, quoted for a shell, as readable as possible.
    Shell,
    /// Space-separated, every unsafe character backslash-escaped.
    Escape,
}

impl ListFormat {
    /// Parses the input (case-insensitive, as dorny lower-cases it).
    pub fn parse(value: &str) -> anyhow::Result<Self> {
        Ok(match value.to_lowercase().as_str() {
            "" | "none" => ListFormat::None,
            "csv" => ListFormat::Csv,
            "json" => ListFormat::Json,
            "shell" => ListFormat::Shell,
            "escape" => ListFormat::Escape,
            other => bail!(
                "Input parameter 'list-files' is set to invalid value '{other}'. Valid values: none, csv, json, shell, escape"
            ),
        })
    }

    /// The list in this format (`None` for `none`).
    pub fn render(self, paths: &[&str]) -> Option<String> {
        let joined = |escape: fn(&str) -> String, separator: &str| {
            paths
                .iter()
                .map(|p| escape(p))
                .collect::<Vec<_>>()
                .join(separator)
        };
        Some(match self {
            ListFormat::None => return None,
            ListFormat::Csv => joined(csv_escape, ","),
            ListFormat::Json => serde_json::to_string(paths).unwrap_or_else(|_| "[]".into()),
            ListFormat::Shell => joined(shell_escape, " "),
            ListFormat::Escape => joined(backslash_escape, " "),
        })
    }
}

fn is_safe(c: char, extra: &str) -> bool {
    c.is_ascii_alphanumeric() || "._+:@%/-".contains(c) || extra.contains(c)
}

/// JavaScript's `/^[…]+$/m`: true when some line (split at JS line terminators) is a
/// non-empty run of allowed characters.
fn some_line_only(value: &str, allowed: impl Fn(char) -> bool) -> bool {
    value
        .split(['\n', '\r', '\u{2028}', '\u{2029}'])
        .any(|line| !line.is_empty() && line.chars().all(&allowed))
}

/// dorny's `csvEscape`.
pub fn csv_escape(value: &str) -> String {
    if value.is_empty() || some_line_only(value, |c| is_safe(c, "")) {
        return value.to_owned();
    }
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// dorny's `backslashEscape`: every character outside `[a-zA-Z0-9,._+:@%/-]` gets a `\`.
pub fn backslash_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if !is_safe(c, ",") {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// dorny's `shellEscape`.
pub fn shell_escape(value: &str) -> String {
    if value.is_empty() || some_line_only(value, |c| is_safe(c, ",")) {
        return value.to_owned();
    }
    if value.contains('\'') {
        if some_line_only(value, |c| is_safe(c, ",'") || is_js_whitespace(c)) {
            return format!("\"{value}\"");
        }
        return value
            .split('\'')
            .map(shell_escape)
            .collect::<Vec<_>>()
            .join("\\'");
    }
    format!("'{value}'")
}

/// JavaScript's `\s`.
fn is_js_whitespace(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// The distinct directories of `paths`, cut to at most `depth` segments (0: whole), in order of
/// first appearance; a file at the root gives `.`.
pub fn directories(paths: &[&str], depth: usize) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut dirs = Vec::new();
    for path in paths {
        let dir = match path.rsplit_once('/') {
            Some((dir, _)) => dir,
            None => ".",
        };
        let dir = if depth == 0 || dir == "." {
            dir.to_owned()
        } else {
            dir.split('/').take(depth).collect::<Vec<_>>().join("/")
        };
        if seen.insert(dir.clone()) {
            dirs.push(dir);
        }
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_dorny_does() {
        let paths = ["docs/a b.md", "docs/x\"y.md", "plain/file.js"];
        assert_eq!(
            ListFormat::Csv.render(&paths).expect("csv"),
            "\"docs/a b.md\",\"docs/x\"\"y.md\",plain/file.js"
        );
        assert_eq!(
            ListFormat::Json.render(&paths).expect("json"),
            "[\"docs/a b.md\",\"docs/x\\\"y.md\",\"plain/file.js\"]"
        );
        assert_eq!(ListFormat::None.render(&paths), None);
    }

    #[test]
    fn shell_quoting_cases() {
        assert_eq!(shell_escape("plain/file,1.js"), "plain/file,1.js");
        assert_eq!(shell_escape("docs/a b.md"), "'docs/a b.md'");
        assert_eq!(shell_escape("docs/it's.md"), "\"docs/it's.md\"");
        assert_eq!(shell_escape("docs/$x.md"), "'docs/$x.md'");
        assert_eq!(shell_escape("it's $x"), "it\\''s $x'");
    }

    #[test]
    fn backslash_escaping() {
        assert_eq!(backslash_escape("docs/(1).md"), "docs/\\(1\\).md");
        assert_eq!(backslash_escape("docs/a b,c.md"), "docs/a\\ b,c.md");
    }

    #[test]
    fn invalid_format_is_named() {
        let err = ListFormat::parse("yaml").expect_err("invalid");
        assert!(
            err.to_string()
                .starts_with("Input parameter 'list-files' is set to invalid value 'yaml'")
        );
        assert_eq!(ListFormat::parse("JSON").expect("valid"), ListFormat::Json);
    }

    #[test]
    fn directories_are_unique_and_cut_to_depth() {
        let paths = [
            "backend/app/a.py",
            "backend/app/b.py",
            "backend/tests/t.py",
            "README.md",
        ];
        assert_eq!(
            directories(&paths, 0),
            ["backend/app", "backend/tests", "."]
        );
        assert_eq!(directories(&paths, 1), ["backend", "."]);
    }
}
