//! The headers each object gets: its `Content-Type` from our own table (hosts' MIME tables get
//! `.js`, `.woff` and others wrong), its `Cache-Control` from the user's rules (first match
//! wins) or the defaults (fingerprinted assets cached for a year, everything else revalidated),
//! and its `Content-Encoding` when a precompressed sibling is published in its place.

use crate::pattern::Pattern;

/// `Cache-Control` of fingerprinted assets: their name changes with their content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of entry points and other unhashed files: always revalidated.
pub const NO_CACHE: &str = "no-cache";

/// The headers an object is published with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers {
    /// `Content-Type`.
    pub content_type: String,
    /// `Cache-Control`.
    pub cache_control: String,
    /// `Content-Encoding` (`br`, `gzip`), for precompressed bodies.
    pub content_encoding: Option<String>,
}

/// Types by extension, which win over the MIME crate's guess: what browsers need for web
/// builds (module scripts, fonts, WebAssembly streaming, manifests), text with its charset.
const TYPES: &[(&str, &str)] = &[
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("cjs", "text/javascript; charset=utf-8"),
    ("json", "application/json; charset=utf-8"),
    ("map", "application/json; charset=utf-8"),
    ("webmanifest", "application/manifest+json; charset=utf-8"),
    ("txt", "text/plain; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
    ("xml", "application/xml; charset=utf-8"),
    ("svg", "image/svg+xml"),
    ("wasm", "application/wasm"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("otf", "font/otf"),
    ("eot", "application/vnd.ms-fontobject"),
    ("avif", "image/avif"),
    ("webp", "image/webp"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("ico", "image/x-icon"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
    ("pdf", "application/pdf"),
];

/// The file name of a `/`-separated path.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The lower-cased extension of a path, if any.
fn extension(path: &str) -> Option<String> {
    file_name(path)
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
}

/// Whether the path is an HTML page.
pub fn is_html(path: &str) -> bool {
    matches!(extension(path).as_deref(), Some("html" | "htm"))
}

/// The `Content-Type` of a path: our table, else the MIME crate's guess (with the charset for
/// text), else `application/octet-stream`.
pub fn content_type(path: &str) -> String {
    let Some(ext) = extension(path) else {
        return "application/octet-stream".to_owned();
    };
    if let Some((_, known)) = TYPES.iter().find(|(e, _)| *e == ext) {
        return (*known).to_owned();
    }
    match mime_guess::from_ext(&ext).first() {
        Some(mime) if is_text(&mime) => format!("{}; charset=utf-8", mime.essence_str()),
        Some(mime) => mime.essence_str().to_owned(),
        None => "application/octet-stream".to_owned(),
    }
}

fn is_text(mime: &mime_guess::Mime) -> bool {
    mime.type_() == "text"
        || matches!(mime.suffix().map(|s| s.as_str()), Some("json" | "xml"))
        || matches!(
            mime.essence_str(),
            "application/javascript" | "application/json" | "application/xml"
        )
}

/// Whether the file name carries a content hash, so the file never changes under its name:
/// `app.3f2a1b9c.js` (webpack, Angular), `app-4f2a1b9c8d7e6f5a.js` (Next.js, Gatsby),
/// `index-D_8s-3Kx.js` (Vite's 8 URL-safe base64 characters). HTML pages never are. A miss only
/// costs caching; a false match would pin a changing file for a year, so the tests are strict.
pub fn is_fingerprinted(path: &str) -> bool {
    let name = file_name(path);
    if is_html(name) {
        return false;
    }
    let Some((stem, _)) = name.rsplit_once('.') else {
        return false;
    };
    let mut segments = stem.split('.');
    let first = segments.next().unwrap_or_default();
    if segments.any(is_hex_hash) || (first.len() >= 16 && is_hex_hash(first)) {
        return true;
    }
    if let Some((_, tail)) = first.rsplit_once('-')
        && (is_hex_hash(tail) || is_base64_hash(tail))
    {
        return true;
    }
    // A base64 hash may itself hold `-`: its last 8 characters, after a `-`.
    let len = first.len();
    len > 9
        && first.as_bytes().get(len - 9) == Some(&b'-')
        && first.get(len - 8..).is_some_and(is_base64_hash)
}

/// 8 to 64 hex digits, mixing digits and letters unless 16 or longer.
fn is_hex_hash(s: &str) -> bool {
    let long_enough = (8..=64).contains(&s.len());
    let hex = s.bytes().all(|b| b.is_ascii_hexdigit());
    let mixed = s.bytes().any(|b| b.is_ascii_digit()) && s.bytes().any(|b| b.is_ascii_alphabetic());
    long_enough && hex && (s.len() >= 16 || mixed)
}

/// Exactly 8 URL-safe base64 characters that do not read as a word: a digit with letters, or
/// at least two capitals and two small letters (`BxKaPqZe`, not `Selector`).
fn is_base64_hash(s: &str) -> bool {
    let count = |f: fn(&u8) -> bool| s.bytes().filter(f).count();
    s.len() == 8
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && ((count(u8::is_ascii_digit) > 0 && count(u8::is_ascii_alphabetic) > 0)
            || (count(u8::is_ascii_uppercase) >= 2 && count(u8::is_ascii_lowercase) >= 2))
}

/// One `cache-control` rule: a glob and the header of the files it matches.
#[derive(Debug, Clone)]
pub struct CacheRule {
    pattern: Pattern,
    value: String,
}

/// Parses the `cache-control` input, one `<glob>: <header>` a line.
pub fn parse_cache_rules(lines: &[String]) -> anyhow::Result<Vec<CacheRule>> {
    lines
        .iter()
        .map(|line| {
            let fail = |why: String| {
                anyhow::anyhow!(
                    "input 'cache-control': rule '{line}': {why} (expected `<glob>: <Cache-Control value>`, e.g. `assets/**: public, max-age=31536000, immutable`)"
                )
            };
            let (glob, value) = line
                .split_once(':')
                .ok_or_else(|| fail("no ':' between the glob and the header".into()))?;
            let (glob, value) = (glob.trim(), value.trim());
            if glob.is_empty() {
                return Err(fail("the glob is empty".into()));
            }
            let pattern =
                Pattern::new(glob).map_err(|e| fail(format!("'{glob}' is not a valid glob: {e}")))?;
            check_cache_control(value).map_err(fail)?;
            Ok(CacheRule {
                pattern,
                value: value.to_owned(),
            })
        })
        .collect()
}

/// Checks a `Cache-Control` value: comma-separated directives, each a token with an optional
/// `=token` or `="quoted"` argument; the age directives take a number of seconds.
fn check_cache_control(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("the header is empty".into());
    }
    let is_token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+.^_`|~-".contains(&b))
    };
    for directive in value.split(',').map(str::trim) {
        let (name, argument) = match directive.split_once('=') {
            Some((name, argument)) => (name.trim(), Some(argument.trim())),
            None => (directive, None),
        };
        if !is_token(name) {
            return Err(format!("'{directive}' is not a Cache-Control directive"));
        }
        let ages = [
            "max-age",
            "s-maxage",
            "stale-while-revalidate",
            "stale-if-error",
        ];
        let needs_seconds = ages.contains(&name.to_ascii_lowercase().as_str());
        match argument {
            Some(a) if needs_seconds && !(is_token(a) && a.bytes().all(|b| b.is_ascii_digit())) => {
                return Err(format!("'{name}' takes a number of seconds, got '{a}'"));
            }
            None if needs_seconds => {
                return Err(format!(
                    "'{name}' takes a number of seconds (`{name}=3600`)"
                ));
            }
            Some(a)
                if !(is_token(a) || (a.len() >= 2 && a.starts_with('"') && a.ends_with('"'))) =>
            {
                return Err(format!("'{directive}' has a malformed argument"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The `Cache-Control` of `path`: the first rule that matches, else the default.
pub fn cache_control(rules: &[CacheRule], path: &str) -> String {
    rules
        .iter()
        .find(|rule| rule.pattern.matches(path))
        .map(|rule| rule.value.clone())
        .unwrap_or_else(|| {
            if is_fingerprinted(path) {
                IMMUTABLE.to_owned()
            } else {
                NO_CACHE.to_owned()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_of_web_builds() {
        for (path, expected) in [
            ("index.html", "text/html; charset=utf-8"),
            ("a/B.HTM", "text/html; charset=utf-8"),
            ("assets/app-1a2b3c4d.js", "text/javascript; charset=utf-8"),
            ("m.mjs", "text/javascript; charset=utf-8"),
            ("app.css", "text/css; charset=utf-8"),
            ("f.woff", "font/woff"),
            ("f.woff2", "font/woff2"),
            ("app.wasm", "application/wasm"),
            ("app.js.map", "application/json; charset=utf-8"),
            (
                "site.webmanifest",
                "application/manifest+json; charset=utf-8",
            ),
            ("logo.svg", "image/svg+xml"),
            ("p.avif", "image/avif"),
            ("feed.atom", "application/atom+xml; charset=utf-8"),
            ("data.csv", "text/csv; charset=utf-8"),
            ("archive.zip", "application/zip"),
            ("LICENSE", "application/octet-stream"),
            ("x.unknownext", "application/octet-stream"),
        ] {
            assert_eq!(content_type(path), expected, "{path}");
        }
    }

    #[test]
    fn fingerprinted_names() {
        for path in [
            "assets/index-D_8s-3Kx.js",
            "assets/index-BxKaPqZe.css",
            "assets/logo-5d5d9eef.svg",
            "static/js/main.3f2a1b9c.js",
            "static/js/2.a1b2c3d4.chunk.js",
            "main.a1b2c3d4e5f6a7b8.js",
            "_next/static/chunks/pages/index-2b3c4d5e6f7a8b9c.js",
            "app-4f2a1b9c8d7e6f5a4b3c.js",
            "e3b0c44298fc1c149afbf4c8996fb924.png",
        ] {
            assert!(is_fingerprinted(path), "{path}");
        }
        for path in [
            "index.html",
            "assets/index-D_8s-3Kx.html",
            "robots.txt",
            "service-worker.js",
            "jquery-3.6.0.min.js",
            "react-dom.production.min.js",
            "vendor.bootstrap5.js",
            "my-component2.js",
            "Item-Selector.js",
            "photo-20240101.jpg",
            "20240101.jpg",
            "deadbeef.png",
            "LICENSE",
            "favicon.ico",
        ] {
            assert!(!is_fingerprinted(path), "{path}");
        }
    }

    #[test]
    fn first_rule_wins_then_the_defaults() {
        let rules = parse_cache_rules(&[
            "*.html: no-store".into(),
            "assets/**: public, max-age=600".into(),
            "**: private".into(),
        ])
        .expect("valid");
        assert_eq!(cache_control(&rules, "docs/index.html"), "no-store");
        assert_eq!(
            cache_control(&rules, "assets/a-1a2b3c4d.js"),
            "public, max-age=600"
        );
        assert_eq!(cache_control(&rules, "robots.txt"), "private");
        assert_eq!(cache_control(&[], "assets/a-1a2b3c4d.js"), IMMUTABLE);
        assert_eq!(cache_control(&[], "index.html"), NO_CACHE);
        assert_eq!(cache_control(&[], "sw.js"), NO_CACHE);
    }

    #[test]
    fn malformed_rules_are_named() {
        for (line, why) in [
            ("*.html no-cache", "no ':' between the glob and the header"),
            (": no-cache", "the glob is empty"),
            ("assets/[: no-cache", "is not a valid glob"),
            ("*.js:", "the header is empty"),
            (
                "*.js: max-age=abc",
                "'max-age' takes a number of seconds, got 'abc'",
            ),
            ("*.js: max-age", "'max-age' takes a number of seconds"),
            (
                "*.js: public; max-age=1",
                "is not a Cache-Control directive",
            ),
            (
                "*.js: public,, immutable",
                "'' is not a Cache-Control directive",
            ),
            ("*.js: private=\"a", "has a malformed argument"),
        ] {
            let error = parse_cache_rules(&[line.to_owned()]).expect_err(line);
            let text = error.to_string();
            assert!(
                text.starts_with(&format!("input 'cache-control': rule '{line}': "))
                    && text.contains(why),
                "{line}: {text}"
            );
        }
        assert!(
            parse_cache_rules(&[
                "*.js: public, max-age=60, s-maxage=0, stale-while-revalidate=30".into()
            ])
            .is_ok()
        );
        assert!(parse_cache_rules(&["*.js: private=\"set-cookie\"".into()]).is_ok());
    }
}
