//! Smoke checks: what each line of the `smoke-checks` input asks, and whether an answer passes.
//!
//! ```text
//! GET https://api.example.com/healthz 200
//! GET https://api.example.com/openapi.json 200 "openapi"
//! GET https://api.example.com/api/v1/experts 401
//! ```
//! A line is a method, a URL, the expected status (a code, or a class such as `2xx`) and,
//! optionally, text the body must contain.

use anyhow::bail;

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/// The status a check expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedStatus {
    /// Exactly this code.
    Code(u16),
    /// Any code of this hundred (`2xx` → 2).
    Class(u16),
}

impl ExpectedStatus {
    fn accepts(self, status: u16) -> bool {
        match self {
            ExpectedStatus::Code(code) => status == code,
            ExpectedStatus::Class(class) => status / 100 == class,
        }
    }
}

/// One smoke check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeCheck {
    /// HTTP method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Expected status.
    pub status: ExpectedStatus,
    /// Text the body must contain.
    pub body_contains: Option<String>,
}

/// Parses the input's lines (blank lines and `#` comments already removed).
pub fn parse_checks(lines: &[String]) -> anyhow::Result<Vec<SmokeCheck>> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            parse_line(line)
                .map_err(|e| anyhow::anyhow!("input 'smoke-checks': line {}: {e}", i + 1))
        })
        .collect()
}

fn parse_line(line: &str) -> anyhow::Result<SmokeCheck> {
    let mut parts = line
        .trim()
        .splitn(4, char::is_whitespace)
        .filter(|p| !p.is_empty());
    let (Some(method), Some(url), Some(status)) = (parts.next(), parts.next(), parts.next()) else {
        bail!("expected 'METHOD URL STATUS [text]', got '{line}'");
    };
    let method = method.to_uppercase();
    if !METHODS.contains(&method.as_str()) {
        bail!("'{method}' is not an HTTP method ({})", METHODS.join(", "));
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() <= "https://".len()
    {
        bail!("'{url}' is not an http(s) URL");
    }
    let status = match status.strip_suffix("xx") {
        Some(class) => match class.parse::<u16>() {
            Ok(c @ 1..=5) => ExpectedStatus::Class(c),
            _ => bail!("'{status}' is not a status class (1xx to 5xx)"),
        },
        None => match status.parse::<u16>() {
            Ok(code @ 100..=599) => ExpectedStatus::Code(code),
            _ => bail!("'{status}' is not an HTTP status (100 to 599, or a class such as 2xx)"),
        },
    };
    let body_contains = parts
        .next()
        .map(|rest| rest.trim().trim_matches('"').to_owned())
        .filter(|text| !text.is_empty());
    Ok(SmokeCheck {
        method,
        url: url.to_owned(),
        status,
        body_contains,
    })
}

impl SmokeCheck {
    /// Whether an answer passes; the error says why not.
    pub fn evaluate(&self, status: u16, body: &str) -> Result<(), String> {
        if !self.status.accepts(status) {
            let expected = match self.status {
                ExpectedStatus::Code(code) => code.to_string(),
                ExpectedStatus::Class(class) => format!("{class}xx"),
            };
            return Err(format!(
                "{} {}: status {status}, expected {expected}",
                self.method, self.url
            ));
        }
        if let Some(text) = &self.body_contains
            && !body.contains(text.as_str())
        {
            return Err(format!(
                "{} {}: the body does not contain '{text}'",
                self.method, self.url
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn parses_the_seeds_checks() {
        let checks = parse_checks(&lines(
            "GET https://api.example.com/healthz 200\nget https://api.example.com/openapi.json 2xx \"openapi\"\nGET https://api.example.com/api/v1/experts 401",
        ))
        .expect("valid");
        assert_eq!(checks[0].status, ExpectedStatus::Code(200));
        assert_eq!(checks[1].method, "GET");
        assert_eq!(checks[1].status, ExpectedStatus::Class(2));
        assert_eq!(checks[1].body_contains.as_deref(), Some("openapi"));
        assert_eq!(checks[2].status, ExpectedStatus::Code(401));
    }

    #[test]
    fn malformed_lines_are_named() {
        for (line, expected) in [
            (
                "GET https://x/healthz",
                "expected 'METHOD URL STATUS [text]'",
            ),
            ("FETCH https://x/ 200", "'FETCH' is not an HTTP method"),
            ("GET ftp://x/ 200", "'ftp://x/' is not an http(s) URL"),
            ("GET https://x/ 999", "'999' is not an HTTP status"),
            ("GET https://x/ 7xx", "'7xx' is not a status class"),
        ] {
            let err =
                parse_checks(&lines(&format!("GET https://ok/ 200\n{line}"))).expect_err(line);
            assert!(
                err.to_string()
                    .starts_with(&format!("input 'smoke-checks': line 2: {expected}")),
                "{err}"
            );
        }
    }

    #[test]
    fn answers_pass_or_say_why() {
        let check = parse_checks(&lines("GET https://x/openapi.json 200 openapi"))
            .expect("valid")
            .remove(0);
        assert_eq!(check.evaluate(200, "{\"openapi\": \"3.1\"}"), Ok(()));
        assert_eq!(
            check.evaluate(502, "").expect_err("status"),
            "GET https://x/openapi.json: status 502, expected 200"
        );
        assert!(
            check
                .evaluate(200, "{}")
                .expect_err("body")
                .ends_with("does not contain 'openapi'")
        );
        let auth = parse_checks(&lines("GET https://x/api 4xx"))
            .expect("valid")
            .remove(0);
        assert_eq!(auth.evaluate(401, ""), Ok(()));
        assert!(auth.evaluate(200, "").is_err());
    }
}
