//! Environment-variable substitution inside one string scalar (DESIGN §2).
//!
//! Forms: `$NAME`, `${NAME}`, `${NAME:-default}`, `$$` for a literal `$`, and decK's
//! `${{ env "DECK_NAME" }}` (optionally piped through `toInt`, `toFloat` or `toBool`, which are
//! accepted and left to the schema's conversion). A `$` not followed by one of these forms is
//! kept as written (regex paths such as `~/v1$`). It runs after parsing, on scalars only, so a
//! value can never change the document's structure.

/// Where variables come from.
pub trait Lookup {
    fn get(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Lookup for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// The result of substituting one scalar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substituted {
    pub text: String,
    /// The scalar was exactly one reference (`$PORT`), so the value may be converted to the
    /// field's type (a number or boolean).
    pub whole: bool,
    /// The values taken from the environment (not defaults): secrets to mask.
    pub secrets: Vec<String>,
}

/// Why a scalar could not be substituted. `offset..offset+len` is the byte range of the
/// reference inside the scalar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubstError {
    pub message: String,
    pub help: String,
    pub offset: usize,
    pub len: usize,
}

/// Whether `text` holds anything to substitute (a fast path: most scalars do not).
pub fn has_reference(text: &str) -> bool {
    text.contains('$')
}

/// Substitutes every reference in `text`.
pub fn substitute(text: &str, env: &dyn Lookup) -> Result<Substituted, SubstError> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut secrets = Vec::new();
    let mut references = 0;
    let mut whole = false;
    let mut i = 0;
    while i < bytes.len() {
        let Some(rel) = text[i..].find('$') else {
            out.push_str(&text[i..]);
            break;
        };
        out.push_str(&text[i..i + rel]);
        let start = i + rel;
        let rest = &text[start..];
        let (consumed, value) = if rest.starts_with("$$") {
            (2, Resolved::Literal("$"))
        } else if rest.starts_with("${{") {
            deck_template(rest, start, env)?
        } else if rest.starts_with("${") {
            braced(rest, start, env)?
        } else if let Some(len) = name_len(&rest[1..]) {
            let name = &rest[1..1 + len];
            (1 + len, lookup(name, None, start, 1 + len, env)?)
        } else {
            (1, Resolved::Literal("$"))
        };
        match value {
            Resolved::Literal(s) => out.push_str(s),
            Resolved::Env(v) => {
                references += 1;
                out.push_str(&v);
                secrets.push(v);
            }
            Resolved::Default(v) => {
                references += 1;
                out.push_str(&v);
            }
        }
        if start == 0 && consumed == text.len() && references == 1 {
            whole = true;
        }
        i = start + consumed;
    }
    Ok(Substituted {
        text: out,
        whole,
        secrets,
    })
}

enum Resolved<'a> {
    Literal(&'a str),
    Env(String),
    Default(String),
}

/// Length of a variable name at the start of `s`: `[A-Za-z_][A-Za-z0-9_]*`.
fn name_len(s: &str) -> Option<usize> {
    let first = s.bytes().next()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    Some(
        s.bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count(),
    )
}

fn lookup<'a>(
    name: &str,
    default: Option<&str>,
    offset: usize,
    len: usize,
    env: &dyn Lookup,
) -> Result<Resolved<'a>, SubstError> {
    match (env.get(name), default) {
        (Some(value), _) => Ok(Resolved::Env(value)),
        (None, Some(default)) => Ok(Resolved::Default(default.to_string())),
        (None, None) => Err(SubstError {
            message: format!("environment variable '{name}' is not set"),
            help: format!(
                "set {name}, give a default with ${{{name}:-value}}, or write $$ for a literal $"
            ),
            offset,
            len,
        }),
    }
}

/// `${NAME}` or `${NAME:-default}`.
fn braced<'a>(
    rest: &str,
    offset: usize,
    env: &dyn Lookup,
) -> Result<(usize, Resolved<'a>), SubstError> {
    let Some(close) = rest.find('}') else {
        return Err(SubstError {
            message: "unterminated '${': missing '}'".into(),
            help: "close the reference with '}', or write $$ for a literal $".into(),
            offset,
            len: rest.len(),
        });
    };
    let inner = &rest[2..close];
    let (name, default) = match inner.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (inner, None),
    };
    if name_len(name) != Some(name.len()) {
        return Err(SubstError {
            message: format!("invalid variable name '{name}' in '${{{inner}}}'"),
            help: "names are letters, digits and '_', not starting with a digit".into(),
            offset,
            len: close + 1,
        });
    }
    Ok((close + 1, lookup(name, default, offset, close + 1, env)?))
}

/// decK's template form: `${{ env "DECK_NAME" }}`, optionally `| toInt` and friends.
fn deck_template<'a>(
    rest: &str,
    offset: usize,
    env: &dyn Lookup,
) -> Result<(usize, Resolved<'a>), SubstError> {
    let bad = |message: String, len: usize| SubstError {
        message,
        help: "write it as ${{ env \"DECK_NAME\" }}".into(),
        offset,
        len,
    };
    let Some(close) = rest.find("}}") else {
        return Err(bad("unterminated '${{': missing '}}'".into(), rest.len()));
    };
    let len = close + 2;
    let inner = rest[3..close].trim();
    let mut stages = inner.split('|').map(str::trim);
    let call = stages.next().unwrap_or_default();
    let name = call
        .strip_prefix("env")
        .map(str::trim_start)
        .and_then(|s| s.strip_prefix('"'))
        .and_then(|s| s.strip_suffix('"'))
        .filter(|n| name_len(n) == Some(n.len()));
    let Some(name) = name else {
        return Err(bad(
            format!("unsupported template '${{{{ {inner} }}}}'"),
            len,
        ));
    };
    for stage in stages {
        if !matches!(stage, "toInt" | "toFloat" | "toBool") {
            return Err(bad(
                format!("unsupported template function '{stage}' (toInt, toFloat and toBool are)"),
                len,
            ));
        }
    }
    Ok((len, lookup(name, None, offset, len, env)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "KEY" => Some("sk-123".into()),
            "PORT" => Some("8080".into()),
            "DECK_TOKEN" => Some("t0k".into()),
            "EMPTY" => Some(String::new()),
            "WEIRD" => Some("a$b{c}".into()),
            _ => None,
        }
    }

    fn sub(text: &str) -> Substituted {
        substitute(text, &env).unwrap()
    }

    #[test]
    fn all_forms() {
        assert_eq!(sub("Bearer $KEY").text, "Bearer sk-123");
        assert_eq!(sub("Bearer ${KEY}!").text, "Bearer sk-123!");
        assert_eq!(sub("${NOPE:-fallback}").text, "fallback");
        assert_eq!(sub("${KEY:-fallback}").text, "sk-123");
        assert_eq!(sub("cost $$5").text, "cost $5");
        assert_eq!(sub("${{ env \"DECK_TOKEN\" }}").text, "t0k");
        assert_eq!(sub("${{env \"PORT\" | toInt}}").text, "8080");
        assert_eq!(sub("$EMPTY-x").text, "-x");
    }

    #[test]
    fn values_are_not_rescanned() {
        let s = sub("$WEIRD");
        assert_eq!(s.text, "a$b{c}");
        assert_eq!(s.secrets, vec!["a$b{c}".to_string()]);
    }

    #[test]
    fn lone_dollars_stay() {
        for text in ["~/v1$", "$", "a $ b", "$1", "${"] {
            if text == "${" {
                assert!(substitute(text, &env).is_err());
            } else {
                assert_eq!(sub(text).text, text);
                assert!(!sub(text).whole);
            }
        }
    }

    #[test]
    fn whole_scalar_and_secrets() {
        assert!(sub("$PORT").whole);
        assert!(sub("${PORT}").whole);
        assert!(!sub("x$PORT").whole);
        assert!(!sub("$PORT$PORT").whole);
        assert!(!sub("$$").whole);
        assert_eq!(sub("$KEY/$PORT").secrets, vec!["sk-123", "8080"]);
        assert!(sub("${NOPE:-d}").secrets.is_empty());
    }

    #[test]
    fn unset_is_an_error_at_the_reference() {
        let e = substitute("Bearer $MISSING", &env).unwrap_err();
        assert_eq!(e.message, "environment variable 'MISSING' is not set");
        assert_eq!((e.offset, e.len), (7, 8));
        let e = substitute("${BAD NAME}", &env).unwrap_err();
        assert!(e.message.contains("invalid variable name"));
        let e = substitute("${{ env \"X\" | upper }}", &env).unwrap_err();
        assert!(e.message.contains("unsupported template function"));
    }
}
