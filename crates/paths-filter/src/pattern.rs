//! dorny's patterns (picomatch with `dot: true`) translated to globset's syntax.
//!
//! Most of the syntax is shared: `*` stays within a path segment, `**` crosses segments, `?`,
//! `[a-z]`, `[!a]`, `{a,b}`, and dot files match like any other. What picomatch has beyond
//! globset is translated where the meaning is exactly the same, and refused with a named error
//! otherwise, so a pattern never matches differently in silence:
//! - a leading `!` negates the pattern (it matches every path the rest does not match);
//! - a whole pattern `!(a|b)` is the negation of `{a,b}`;
//! - `@(a|b)` is `{a,b}`, `?(a|b)` is `{,a,b}`;
//! - brace ranges `{1..3}`, `{a..c}` are expanded;
//! - `+(…)`, `*(…)`, a `!(…)` inside a pattern, and POSIX classes `[[:alpha:]]` are refused.

use std::fmt;

/// Brace ranges longer than this are refused rather than expanded.
const MAX_RANGE: usize = 1000;

/// A pattern in globset syntax, and whether its matches are inverted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The pattern as written in the filter.
    pub source: String,
    /// The glob, in globset syntax.
    pub glob: String,
    /// The pattern matches the paths the glob does not match.
    pub negated: bool,
}

/// A pattern that cannot be translated without changing its meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pattern '{}': {}", self.pattern, self.reason)
    }
}

impl std::error::Error for PatternError {}

/// Translates one pattern.
pub fn translate(source: &str) -> Result<Pattern, PatternError> {
    let error = |reason: String| PatternError {
        pattern: source.to_owned(),
        reason,
    };
    let mut rest = source;
    let mut negated = false;
    while rest.starts_with('!') && !rest.starts_with("!(") {
        negated = !negated;
        rest = &rest[1..];
    }
    // A whole-pattern extglob negation: `!(a|b)`.
    if let Some(inner) = rest.strip_prefix("!(").and_then(|r| r.strip_suffix(')'))
        && closing_paren(rest, 1) == Some(rest.len() - 1)
    {
        let alternatives = split_alternatives(inner);
        let translated: Result<Vec<String>, String> =
            alternatives.iter().map(|a| translate_body(a)).collect();
        let translated = translated.map_err(error)?;
        if translated.iter().any(|t| t.contains('{')) {
            return Err(error(
                "alternatives inside '!(…)' cannot contain braces or extglobs".into(),
            ));
        }
        return Ok(Pattern {
            source: source.to_owned(),
            glob: format!("{{{}}}", translated.join(",")),
            negated: !negated,
        });
    }
    let glob = translate_body(rest).map_err(error)?;
    Ok(Pattern {
        source: source.to_owned(),
        glob,
        negated,
    })
}

/// The index of the `)` closing the `(` at `open`.
fn closing_paren(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Splits `a|b(c|d)|e` at the top-level `|`.
fn split_alternatives(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'|' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&text[start..]);
    parts
}

/// Translates a pattern without its leading negation.
fn translate_body(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        match (c, next) {
            (b'\\', Some(_)) => {
                let escaped = text[i + 1..].chars().next().unwrap_or('\\');
                out.push('\\');
                out.push(escaped);
                i += 1 + escaped.len_utf8();
                continue;
            }
            (b'@' | b'?' | b'+' | b'*' | b'!', Some(b'(')) => {
                let close = closing_paren(text, i + 1).ok_or("unclosed '(' in an extglob")?;
                let inner = &text[i + 2..close];
                let alternatives: Result<Vec<String>, String> = split_alternatives(inner)
                    .into_iter()
                    .map(translate_body)
                    .collect();
                let alternatives = alternatives?;
                if alternatives.iter().any(|a| a.contains('{')) {
                    return Err(
                        "nested extglobs or braces inside an extglob are not supported".into(),
                    );
                }
                match c {
                    b'@' => out.push_str(&format!("{{{}}}", alternatives.join(","))),
                    b'?' => out.push_str(&format!("{{,{}}}", alternatives.join(","))),
                    kind => {
                        return Err(format!(
                            "the extglob '{}(…)' is not supported; use braces {{a,b}}, several patterns, or a leading '!' pattern",
                            kind as char
                        ));
                    }
                }
                i = close + 1;
                continue;
            }
            (b'[', Some(b'[')) if text[i + 1..].starts_with("[:") => {
                return Err("POSIX character classes such as [[:alpha:]] are not supported; use ranges such as [a-zA-Z]".into());
            }
            (b'{', _) => {
                let close = text[i..].find('}').map(|j| i + j).ok_or("unclosed '{'")?;
                let inner = &text[i + 1..close];
                if let Some(expanded) = expand_range(inner)? {
                    out.push_str(&format!("{{{}}}", expanded.join(",")));
                    i = close + 1;
                    continue;
                }
                out.push('{');
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or_default();
                out.push(ch);
                i += ch.len_utf8();
                continue;
            }
        }
        i += 1;
    }
    Ok(out)
}

/// `1..3` → `1,2,3`; `a..c` → `a,b,c`; anything else is not a range.
fn expand_range(inner: &str) -> Result<Option<Vec<String>>, String> {
    let Some((from, to)) = inner.split_once("..") else {
        return Ok(None);
    };
    if to.contains("..") {
        return Err("brace ranges with a step ({1..9..2}) are not supported".into());
    }
    let values: Vec<String> = if let (Ok(a), Ok(b)) = (from.parse::<i64>(), to.parse::<i64>()) {
        let (lo, hi) = (a.min(b), a.max(b));
        if (hi - lo) as usize >= MAX_RANGE {
            return Err(format!(
                "the brace range {{{inner}}} has more than {MAX_RANGE} values"
            ));
        }
        let mut values: Vec<String> = (lo..=hi).map(|n| n.to_string()).collect();
        if a > b {
            values.reverse();
        }
        values
    } else if let (Some(a), Some(b)) = (single_char(from), single_char(to)) {
        let (lo, hi) = (a.min(b), a.max(b));
        (lo..=hi).map(|c| c.to_string()).collect()
    } else {
        return Ok(None);
    };
    Ok(Some(values))
}

fn single_char(text: &str) -> Option<char> {
    let mut chars = text.chars();
    let c = chars.next()?;
    (chars.next().is_none() && c.is_ascii_alphanumeric()).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(source: &str) -> (String, bool) {
        let p = translate(source).expect("translatable");
        (p.glob, p.negated)
    }

    #[test]
    fn plain_globs_pass_through() {
        for source in [
            "src/**/*.js",
            "*",
            "lib/v[0-9]/*.js",
            "lib/{v1,v3}/**",
            "a\\*b",
            "[!a]*",
        ] {
            assert_eq!(glob(source), (source.to_owned(), false));
        }
    }

    #[test]
    fn leading_bang_negates() {
        assert_eq!(glob("!**/*.md"), ("**/*.md".into(), true));
        assert_eq!(glob("!!a"), ("a".into(), false));
    }

    #[test]
    fn whole_extglob_negation_becomes_a_negated_alternation() {
        assert_eq!(
            glob("!(**/*.tsx|**/*.less)"),
            ("{**/*.tsx,**/*.less}".into(), true)
        );
    }

    #[test]
    fn at_and_question_extglobs_become_braces() {
        assert_eq!(glob("src/@(a|b)/*.js"), ("src/{a,b}/*.js".into(), false));
        assert_eq!(glob("file?(.min).js"), ("file{,.min}.js".into(), false));
    }

    #[test]
    fn brace_ranges_are_expanded() {
        assert_eq!(glob("v{1..3}/*"), ("v{1,2,3}/*".into(), false));
        assert_eq!(glob("{c..a}.txt"), ("{a,b,c}.txt".into(), false));
    }

    #[test]
    fn what_globset_cannot_express_is_refused_by_name() {
        for (source, reason) in [
            ("src/+(a|b).js", "the extglob '+(…)' is not supported"),
            ("*(x)", "the extglob '*(…)' is not supported"),
            ("src/!(a).js", "the extglob '!(…)' is not supported"),
            ("[[:alpha:]]*", "POSIX character classes"),
            ("{1..5000}", "more than 1000 values"),
            ("@(a|b", "unclosed '('"),
        ] {
            let err = translate(source).expect_err(source);
            assert!(
                err.to_string()
                    .starts_with(&format!("pattern '{source}': ")),
                "{err}"
            );
            assert!(err.reason.contains(reason), "{source}: {err}");
        }
    }
}
