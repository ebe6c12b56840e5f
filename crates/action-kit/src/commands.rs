//! Formatting of workflow commands (`::name key=value::message`) with the runner's escaping.

use std::fmt::Write as _;

/// Escapes a command's message: `%`, `\r` and `\n`.
pub fn escape_data(value: &str) -> String {
    value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value: as [`escape_data`], plus `:` and `,`.
pub fn escape_property(value: &str) -> String {
    escape_data(value).replace(':', "%3A").replace(',', "%2C")
}

/// Formats one workflow command line (without the trailing newline).
pub fn format_command(name: &str, properties: &[(&str, String)], message: &str) -> String {
    let mut line = format!("::{name}");
    for (i, (key, value)) in properties.iter().enumerate() {
        let sep = if i == 0 { ' ' } else { ',' };
        // Writing to a String cannot fail.
        let _ = write!(line, "{sep}{key}={}", escape_property(value));
    }
    let _ = write!(line, "::{}", escape_data(message));
    line
}

/// The severity of an annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// `::notice::`
    Notice,
    /// `::warning::`
    Warning,
    /// `::error::`
    Error,
}

impl Level {
    /// The command name.
    pub fn command(self) -> &'static str {
        match self {
            Level::Notice => "notice",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// Where an annotation points to; every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotation {
    /// A short title shown above the message.
    pub title: Option<String>,
    /// A path relative to the repository root.
    pub file: Option<String>,
    /// First line (1-based).
    pub line: Option<u32>,
    /// Last line.
    pub end_line: Option<u32>,
    /// First column (1-based).
    pub col: Option<u32>,
    /// Last column.
    pub end_column: Option<u32>,
}

impl Annotation {
    /// An annotation with only a title.
    pub fn titled(title: impl Into<String>) -> Self {
        Self {
            title: Some(title.into()),
            ..Self::default()
        }
    }

    /// The command properties, in the runner's documented order.
    pub fn properties(&self) -> Vec<(&'static str, String)> {
        let numbers = [
            ("line", self.line),
            ("endLine", self.end_line),
            ("col", self.col),
            ("endColumn", self.end_column),
        ];
        let mut props = Vec::new();
        if let Some(title) = &self.title {
            props.push(("title", title.clone()));
        }
        if let Some(file) = &self.file {
            props.push(("file", file.clone()));
        }
        props.extend(
            numbers
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?.to_string()))),
        );
        props
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_escapes_percent_and_newlines_only() {
        assert_eq!(escape_data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
    }

    #[test]
    fn property_escapes_colon_and_comma_too() {
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn command_with_properties() {
        let ann = Annotation {
            title: Some("Bad: input".into()),
            file: Some("a,b.yml".into()),
            line: Some(3),
            col: Some(5),
            ..Annotation::default()
        };
        assert_eq!(
            format_command("error", &ann.properties(), "line1\nline2"),
            "::error title=Bad%3A input,file=a%2Cb.yml,line=3,col=5::line1%0Aline2"
        );
    }

    #[test]
    fn command_without_properties() {
        assert_eq!(format_command("group", &[], "Deploy"), "::group::Deploy");
        assert_eq!(format_command("endgroup", &[], ""), "::endgroup::");
    }
}
