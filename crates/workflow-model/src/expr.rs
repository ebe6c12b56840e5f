//! `${{ … }}` expressions: parsed, evaluated against a context, and listed (which context
//! paths a text refers to). The subset reference workflows use: literals, context paths
//! (`steps.render.outputs.task-definition`), `!`, `==`, `!=`, `&&`, `||`, parentheses, and the
//! functions `success()`, `always()`, `failure()`, `cancelled()`, `contains`, `startsWith`,
//! `endsWith`. Anything else is an error naming it, never a silent guess.

use anyhow::{Context as _, bail};
use serde_json::Value;

/// Where context paths are looked up (`github.sha` → `["github", "sha"]`).
pub trait Context {
    /// The value at `path`; `None` when absent (it evaluates to null, as on GitHub).
    fn lookup(&self, path: &[String]) -> Option<Value>;
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A string, number, boolean or null.
    Literal(Value),
    /// A context path.
    Path(Vec<String>),
    /// `!x`.
    Not(Box<Expr>),
    /// `a op b`.
    Binary(Op, Box<Expr>, Box<Expr>),
    /// `name(args)`.
    Call(String, Vec<Expr>),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `&&`.
    And,
    /// `||`.
    Or,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Num(f64),
    Dot,
    Comma,
    Open,
    Close,
    Not,
    Op(Op),
}

fn tokens(text: &str) -> anyhow::Result<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '.' => {
                out.push(Token::Dot);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '=' if next == Some('=') => {
                out.push(Token::Op(Op::Eq));
                i += 2;
            }
            '!' if next == Some('=') => {
                out.push(Token::Op(Op::Ne));
                i += 2;
            }
            '!' => {
                out.push(Token::Not);
                i += 1;
            }
            '&' if next == Some('&') => {
                out.push(Token::Op(Op::And));
                i += 2;
            }
            '|' if next == Some('|') => {
                out.push(Token::Op(Op::Or));
                i += 2;
            }
            '\'' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match (chars.get(i), chars.get(i + 1)) {
                        (Some('\''), Some('\'')) => {
                            value.push('\'');
                            i += 2;
                        }
                        (Some('\''), _) => {
                            i += 1;
                            break;
                        }
                        (Some(c), _) => {
                            value.push(*c);
                            i += 1;
                        }
                        (None, _) => bail!("unterminated string in '{text}'"),
                    }
                }
                out.push(Token::Str(value));
            }
            c if c.is_ascii_digit() => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                {
                    i += 1;
                }
                let number: String = chars[start..i].iter().collect();
                out.push(Token::Num(
                    number
                        .parse()
                        .with_context(|| format!("bad number '{number}'"))?,
                ));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                {
                    i += 1;
                }
                out.push(Token::Ident(chars[start..i].iter().collect()));
            }
            other => bail!("unexpected '{other}' in expression '{text}'"),
        }
    }
    Ok(out)
}

/// A recursive-descent parser over the tokens: `or := and ('||' and)*`, `and := cmp ('&&' cmp)*`,
/// `cmp := unary (('=='|'!=') unary)?`, `unary := '!' unary | primary`.
struct Parser {
    tokens: Vec<Token>,
    at: usize,
    text: String,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn binary(
        &mut self,
        op: Op,
        operand: fn(&mut Self) -> anyhow::Result<Expr>,
    ) -> anyhow::Result<Expr> {
        let mut left = operand(self)?;
        while self.peek() == Some(&Token::Op(op)) {
            self.at += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(operand(self)?));
        }
        Ok(left)
    }

    fn or(&mut self) -> anyhow::Result<Expr> {
        self.binary(Op::Or, Self::and)
    }

    fn and(&mut self) -> anyhow::Result<Expr> {
        self.binary(Op::And, Self::comparison)
    }

    fn comparison(&mut self) -> anyhow::Result<Expr> {
        let left = self.unary()?;
        match self.peek() {
            Some(Token::Op(op @ (Op::Eq | Op::Ne))) => {
                let op = *op;
                self.at += 1;
                Ok(Expr::Binary(op, Box::new(left), Box::new(self.unary()?)))
            }
            _ => Ok(left),
        }
    }

    fn unary(&mut self) -> anyhow::Result<Expr> {
        if self.peek() == Some(&Token::Not) {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> anyhow::Result<Expr> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Expr::Literal(Value::String(s))),
            Some(Token::Num(n)) => Ok(Expr::Literal(serde_json::json!(n))),
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => bail!("missing ')' in '{}'", self.text),
                }
            }
            Some(Token::Ident(word)) => match word.as_str() {
                "true" => Ok(Expr::Literal(Value::Bool(true))),
                "false" => Ok(Expr::Literal(Value::Bool(false))),
                "null" => Ok(Expr::Literal(Value::Null)),
                _ if self.peek() == Some(&Token::Open) => {
                    self.at += 1;
                    let mut args = Vec::new();
                    if self.peek() == Some(&Token::Close) {
                        self.at += 1;
                    } else {
                        loop {
                            args.push(self.or()?);
                            match self.next() {
                                Some(Token::Comma) => {}
                                Some(Token::Close) => break,
                                _ => bail!(
                                    "missing ')' after the arguments of {word} in '{}'",
                                    self.text
                                ),
                            }
                        }
                    }
                    Ok(Expr::Call(word, args))
                }
                _ => {
                    let mut path = vec![word];
                    while self.peek() == Some(&Token::Dot) {
                        self.at += 1;
                        match self.next() {
                            Some(Token::Ident(part)) => path.push(part),
                            _ => bail!("a '.' must be followed by a name in '{}'", self.text),
                        }
                    }
                    Ok(Expr::Path(path))
                }
            },
            other => bail!("unexpected {other:?} in '{}'", self.text),
        }
    }
}

/// Parses one expression (the text between `${{` and `}}`).
pub fn parse(text: &str) -> anyhow::Result<Expr> {
    let mut parser = Parser {
        tokens: tokens(text)?,
        at: 0,
        text: text.to_owned(),
    };
    let expr = parser.or()?;
    if parser.at < parser.tokens.len() {
        bail!("unexpected text after the expression in '{text}'");
    }
    Ok(expr)
}

/// The `${{ … }}` segments of a text: (start, end, inner text).
fn segments(text: &str) -> anyhow::Result<Vec<(usize, usize, &str)>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("${{").map(|s| s + from) {
        let inner_start = start + 3;
        let end = text[inner_start..]
            .find("}}")
            .map(|e| e + inner_start)
            .with_context(|| format!("'${{{{' without '}}}}' in '{text}'"))?;
        found.push((start, end + 2, text[inner_start..end].trim()));
        from = end + 2;
    }
    Ok(found)
}

/// The value's text when interpolated into a string (null → empty).
pub fn to_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| format!("{f:.0}"))
            .unwrap_or_else(|| n.to_string()),
        other => other.to_string(),
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn evaluate_expr(expr: &Expr, context: &dyn Context) -> anyhow::Result<Value> {
    Ok(match expr {
        Expr::Literal(value) => value.clone(),
        Expr::Path(path) => context.lookup(path).unwrap_or(Value::Null),
        Expr::Not(inner) => Value::Bool(!truthy(&evaluate_expr(inner, context)?)),
        Expr::Binary(op, left, right) => {
            let left = evaluate_expr(left, context)?;
            match op {
                Op::And if !truthy(&left) => left,
                Op::Or if truthy(&left) => left,
                Op::And | Op::Or => evaluate_expr(right, context)?,
                Op::Eq | Op::Ne => {
                    let right = evaluate_expr(right, context)?;
                    let equal = to_text(&left).eq_ignore_ascii_case(&to_text(&right));
                    Value::Bool(equal == (*op == Op::Eq))
                }
            }
        }
        Expr::Call(name, args) => {
            let values = args
                .iter()
                .map(|a| evaluate_expr(a, context))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let text = |n: usize| {
                values
                    .get(n)
                    .map(to_text)
                    .unwrap_or_default()
                    .to_lowercase()
            };
            match (name.as_str(), values.len()) {
                ("success" | "always", 0) => Value::Bool(true),
                ("failure" | "cancelled", 0) => Value::Bool(false),
                ("contains", 2) => Value::Bool(match &values[0] {
                    Value::Array(items) => items
                        .iter()
                        .any(|i| to_text(i).eq_ignore_ascii_case(&text(1))),
                    _ => text(0).contains(&text(1)),
                }),
                ("startsWith", 2) => Value::Bool(text(0).starts_with(&text(1))),
                ("endsWith", 2) => Value::Bool(text(0).ends_with(&text(1))),
                _ => bail!(
                    "the function {name}() with {} arguments is not supported",
                    values.len()
                ),
            }
        }
    })
}

/// Evaluates one expression.
pub fn evaluate(text: &str, context: &dyn Context) -> anyhow::Result<Value> {
    evaluate_expr(&parse(text)?, context)
}

/// A text with every `${{ … }}` replaced by its value.
pub fn interpolate(text: &str, context: &dyn Context) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut last = 0;
    for (start, end, inner) in segments(text)? {
        out.push_str(&text[last..start]);
        out.push_str(&to_text(&evaluate(inner, context)?));
        last = end;
    }
    out.push_str(&text[last..]);
    Ok(out)
}

/// An `if:` condition, with or without `${{ }}`.
pub fn condition(text: &str, context: &dyn Context) -> anyhow::Result<bool> {
    let trimmed = text.trim();
    let inner = trimmed
        .strip_prefix("${{")
        .and_then(|t| t.strip_suffix("}}"))
        .unwrap_or(trimmed);
    Ok(truthy(&evaluate(inner, context)?))
}

fn collect_paths(expr: &Expr, into: &mut Vec<Vec<String>>) {
    match expr {
        Expr::Literal(_) => {}
        Expr::Path(path) => into.push(path.clone()),
        Expr::Not(inner) => collect_paths(inner, into),
        Expr::Binary(_, left, right) => {
            collect_paths(left, into);
            collect_paths(right, into);
        }
        Expr::Call(_, args) => args.iter().for_each(|a| collect_paths(a, into)),
    }
}

/// The context paths a text's `${{ … }}` segments refer to.
pub fn references(text: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let mut paths = Vec::new();
    for (_, _, inner) in segments(text)? {
        collect_paths(&parse(inner)?, &mut paths);
    }
    Ok(paths)
}

/// The context paths an `if:` condition refers to.
pub fn condition_references(text: &str) -> anyhow::Result<Vec<Vec<String>>> {
    if text.contains("${{") {
        return references(text);
    }
    let mut paths = Vec::new();
    collect_paths(&parse(text)?, &mut paths);
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    impl Context for Fixed {
        fn lookup(&self, path: &[String]) -> Option<Value> {
            match path.join(".").as_str() {
                "github.sha" => Some("abc123".into()),
                "github.event_name" => Some("push".into()),
                "needs.changes.outputs.api" => Some("true".into()),
                "steps.render.outputs.task-definition" => Some(".td/api.json".into()),
                "github.event.commits" => Some(serde_json::json!(["a", "b"])),
                _ => None,
            }
        }
    }

    #[test]
    fn interpolates_paths_in_text() {
        assert_eq!(
            interpolate(
                "${{ steps.render.outputs.task-definition }} at ${{github.sha}}",
                &Fixed
            )
            .expect("ok"),
            ".td/api.json at abc123"
        );
        assert_eq!(
            interpolate("no expression", &Fixed).expect("ok"),
            "no expression"
        );
        assert_eq!(interpolate("${{ vars.MISSING }}", &Fixed).expect("ok"), "");
    }

    #[test]
    fn evaluates_conditions_as_github_does() {
        for (text, expected) in [
            (
                "needs.changes.outputs.api == 'true' || github.event_name == 'workflow_dispatch'",
                true,
            ),
            ("needs.changes.outputs.api == 'TRUE'", true),
            ("${{ github.event_name != 'push' }}", false),
            ("!(github.event_name == 'push') && success()", false),
            ("always() && vars.MISSING", false),
            (
                "contains(github.event.commits, 'b') && startsWith(github.sha, 'ab')",
                true,
            ),
            ("github.sha == 'it''s'", false),
        ] {
            assert_eq!(condition(text, &Fixed).expect(text), expected, "{text}");
        }
    }

    #[test]
    fn lists_references_and_refuses_what_it_does_not_know() {
        assert_eq!(
            references("GET ${{ vars.API_URL }}/x ${{ steps.a.outputs.b == 'c' }}").expect("ok"),
            [
                vec!["vars".to_owned(), "API_URL".to_owned()],
                vec!["steps".into(), "a".into(), "outputs".into(), "b".into()]
            ]
        );
        assert_eq!(
            condition_references("needs.changes.outputs.api == 'true'").expect("ok"),
            [vec![
                "needs".to_owned(),
                "changes".into(),
                "outputs".into(),
                "api".into()
            ]]
        );
        for bad in [
            "${{ fromJSON(x) }}",
            "${{ a[0] }}",
            "${{ 'open }}",
            "${{ a ==  }}",
            "${{ x",
        ] {
            assert!(interpolate(bad, &Fixed).is_err(), "{bad}");
        }
    }
}
