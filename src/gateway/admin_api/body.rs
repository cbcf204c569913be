//! Request bodies: JSON, url-encoded and multipart forms (Kong's dotted and indexed keys),
//! size limits.

use axum::body::Body;
use axum::response::Response;
use http::HeaderMap;
use serde_json::{Map, Value};

use super::respond::message;

/// A parsed body: the fields, and whether they came from a form (strings to be coerced).
pub struct Parsed {
    pub fields: Map<String, Value>,
    pub form: bool,
}

/// Reads the whole body within `limit` bytes.
pub async fn read_bytes(body: Body, limit: usize) -> Result<bytes::Bytes, Response> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| message(413, format!("Request body too large (limit {limit} bytes)")))
}

/// Parses a body by its content type, as Kong does: JSON, url-encoded or multipart forms
/// (`curl -F cert=@cert.pem`), or nothing.
pub async fn parse(headers: &HeaderMap, bytes: &bytes::Bytes) -> Result<Parsed, Response> {
    let types: Vec<_> = headers.get_all(http::header::CONTENT_TYPE).iter().collect();
    if types.len() > 1 {
        return Err(message(400, "Multiple Content-Type headers not allowed"));
    }
    let content_type = types.first().and_then(|v| v.to_str().ok()).map(|v| {
        v.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Parsed {
            fields: Map::new(),
            form: content_type.as_deref() == Some("application/x-www-form-urlencoded"),
        });
    }
    match content_type.as_deref() {
        Some("application/json") => match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(fields)) => Ok(Parsed {
                fields,
                form: false,
            }),
            Ok(_) => Err(message(400, "The JSON body must be an object")),
            Err(_) => Err(message(400, "Cannot parse JSON body")),
        },
        Some("application/x-www-form-urlencoded") => Ok(Parsed {
            fields: parse_form(bytes),
            form: true,
        }),
        Some("multipart/form-data") => {
            // The boundary is case-sensitive: read it from the header as sent.
            let header = types[0].to_str().unwrap_or_default();
            Ok(Parsed {
                fields: parse_multipart(header, bytes.clone()).await?,
                form: true,
            })
        }
        other => Err(message(
            415,
            format!(
                "Unsupported Content-Type {}: send application/json, application/x-www-form-urlencoded or multipart/form-data",
                other.unwrap_or("(none)")
            ),
        )),
    }
}

/// Kong's form conventions: `config.minute=5` nests, `paths[]=/a` and `paths[1]=/a` build
/// arrays, a repeated key becomes an array, and an empty value means null.
pub fn parse_form(bytes: &[u8]) -> Map<String, Value> {
    form_fields(url::form_urlencoded::parse(bytes).into_owned())
}

/// A multipart form's parts as form fields; a file part's content is the field's value (how
/// `curl -F cert=@cert.pem` uploads a certificate).
async fn parse_multipart(
    content_type: &str,
    bytes: bytes::Bytes,
) -> Result<Map<String, Value>, Response> {
    let unreadable =
        |e: multer::Error| message(400, format!("Cannot parse multipart/form-data body: {e}"));
    let boundary = multer::parse_boundary(content_type).map_err(unreadable)?;
    let whole = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) });
    let mut multipart = multer::Multipart::new(whole, boundary);
    let mut pairs = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        pairs.push((name, field.text().await.map_err(unreadable)?));
    }
    Ok(form_fields(pairs))
}

/// Builds the fields of a form from its (key, value) pairs in order.
fn form_fields(pairs: impl IntoIterator<Item = (String, String)>) -> Map<String, Value> {
    let mut root = Map::new();
    for (key, value) in pairs {
        let value = if value.is_empty() {
            Value::Null
        } else {
            Value::String(value)
        };
        let (name, is_array) = match key.find('[') {
            Some(i) if key.ends_with(']') => (&key[..i], true),
            _ => (&key[..], false),
        };
        let mut path: Vec<&str> = name.split('.').collect();
        let Some(last) = path.pop() else { continue };
        let mut node = &mut root;
        for segment in path {
            let entry = node
                .entry(segment.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            let Value::Object(next) = entry else {
                unreachable!("made an object above")
            };
            node = next;
        }
        match node.get_mut(last) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None if is_array => {
                node.insert(last.to_string(), Value::Array(vec![value]));
            }
            None => {
                node.insert(last.to_string(), value);
            }
        }
    }
    root
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn forms_nest_and_build_arrays() {
        let form =
            parse_form(b"name=a&config.minute=5&paths[]=/x&paths[]=/y&tags=t1&tags=t2&host=");
        assert_eq!(
            Value::Object(form),
            json!({"name": "a", "config": {"minute": "5"}, "paths": ["/x", "/y"],
                   "tags": ["t1", "t2"], "host": null})
        );
    }
}
