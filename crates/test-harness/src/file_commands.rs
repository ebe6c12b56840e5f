//! Reading back what an action appended to a runner file (`GITHUB_OUTPUT`, `GITHUB_ENV`,
//! `GITHUB_STATE`), in either form the runner accepts: `name=value` or the heredoc
//! `name<<DELIMITER` … `DELIMITER`.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};

/// The key/value pairs of a file command file; a later value of a key wins, as on the runner.
pub fn parse_file_commands(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        if let Some((key, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            loop {
                let next = lines.next().with_context(|| {
                    format!("heredoc for {key:?} is not closed by {delimiter:?}")
                })?;
                if next == delimiter {
                    break;
                }
                value.push(next);
            }
            values.insert(key.to_owned(), value.join("\n"));
        } else if let Some((key, value)) = line.split_once('=') {
            values.insert(key.to_owned(), value.to_owned());
        } else {
            bail!("line is neither name=value nor a heredoc: {line:?}");
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_forms() {
        let text = "a=1\nb<<EOF_X\nline 1\n\nline 3\nEOF_X\nc<<D\n\nD\na=2\n";
        let values = parse_file_commands(text).expect("valid");
        assert_eq!(values["a"], "2");
        assert_eq!(values["b"], "line 1\n\nline 3");
        assert_eq!(values["c"], "");
    }

    #[test]
    fn unclosed_heredoc_is_an_error() {
        assert!(parse_file_commands("a<<D\nx\n").is_err());
        assert!(parse_file_commands("garbage\n").is_err());
    }
}
