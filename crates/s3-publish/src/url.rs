//! Percent-encoding of object keys where they appear in a URL path: S3's `x-amz-copy-source`
//! and CloudFront invalidation paths (where an unencoded `*` would be a wildcard).

/// `key` with every byte outside RFC 3986's unreserved set and `/` percent-encoded.
pub fn encode_path(key: &str) -> String {
    let mut encoded = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_unreserved_and_slashes() {
        assert_eq!(
            encode_path("assets/app-1a_b.c~d.js"),
            "assets/app-1a_b.c~d.js"
        );
        assert_eq!(encode_path("a b/ü*?.html"), "a%20b/%C3%BC%2A%3F.html");
    }
}
