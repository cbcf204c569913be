//! jwt: verifies a signed JSON Web Token and identifies the consumer by the secret its key
//! claim names (Kong priority 1450). HS*, RS*, PS*, ES256, ES384 and EdDSA through
//! `jsonwebtoken`; it cannot verify ES512, so tokens for such secrets are refused, and the
//! gateway warns of the secret when it loads the configuration (`directory::problems`).

use std::str::FromStr;

use async_trait::async_trait;
use base64::Engine;
use http::{HeaderValue, Method, StatusCode};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::key_auth::{anonymous_or_error, arg_values};
use super::{Ctx, Flow, PluginRuntime, escaped_header_value, json_response, parse_config};
use crate::gateway::proxy::directory::JwtSecret;

#[derive(Debug, Deserialize)]
struct Config {
    #[serde(default)]
    uri_param_names: Vec<String>,
    #[serde(default)]
    cookie_names: Vec<String>,
    #[serde(default = "iss")]
    key_claim_name: String,
    #[serde(default)]
    secret_is_base64: bool,
    #[serde(default)]
    claims_to_verify: Option<Vec<String>>,
    anonymous: Option<String>,
    #[serde(default = "yes")]
    run_on_preflight: bool,
    #[serde(default)]
    maximum_expiration: f64,
    #[serde(default)]
    header_names: Vec<String>,
    realm: Option<String>,
}

fn iss() -> String {
    "iss".into()
}

fn yes() -> bool {
    true
}

pub struct Jwt {
    c: Config,
    /// The challenge sent when no token came.
    www_authenticate: HeaderValue,
    /// The challenge sent when a token came but was refused (RFC 6750 section 3.1, as
    /// Kong 3.6+ sends it).
    www_authenticate_invalid: HeaderValue,
}

/// Why a request was refused: a message, or Kong's per-claim error object.
enum Refusal {
    Message(String),
    Claims(Map<String, Value>),
}

impl Jwt {
    pub fn new(config: &Value) -> Result<Jwt, String> {
        let c: Config = parse_config("jwt", config)?;
        let (www, invalid) = match &c.realm {
            Some(realm) => {
                let base = format!("Bearer realm=\"{realm}\"");
                let invalid = format!("{base}, error=\"invalid_token\"");
                (base, invalid)
            }
            None => (
                "Bearer".to_string(),
                "Bearer error=\"invalid_token\"".to_string(),
            ),
        };
        Ok(Jwt {
            www_authenticate: escaped_header_value(&www),
            www_authenticate_invalid: escaped_header_value(&invalid),
            c,
        })
    }

    /// Every distinct non-empty token in the query, cookies and headers. `None` is a bare
    /// `?jwt` in the query, which Kong's `kong.request.get_query()` gives as `true`: a token
    /// to count, but not a string.
    fn tokens(&self, ctx: &Ctx) -> Vec<Option<String>> {
        let mut tokens: Vec<Option<String>> = Vec::new();
        let mut add = |t: Option<&str>| {
            if t != Some("") && !tokens.iter().any(|x| x.as_deref() == t) {
                tokens.push(t.map(str::to_string));
            }
        };
        if let Some(query) = ctx.request.uri.query() {
            for name in &self.c.uri_param_names {
                for value in arg_values(query.as_bytes(), name) {
                    add(value.as_deref());
                }
            }
        }
        if !self.c.cookie_names.is_empty() {
            for header in ctx.request.headers.get_all(http::header::COOKIE) {
                let Ok(text) = header.to_str() else { continue };
                for pair in text.split(';') {
                    if let Some((k, v)) = pair.trim().split_once('=')
                        && self.c.cookie_names.iter().any(|n| n == k)
                    {
                        add(Some(v));
                    }
                }
            }
        }
        for name in &self.c.header_names {
            let Some(value) = ctx.request.headers.get(name.as_str()) else {
                continue;
            };
            let Ok(text) = value.to_str() else { continue };
            let text = text.trim_start();
            if text.len() > 7 && text[..6].eq_ignore_ascii_case("bearer") {
                let rest = &text[6..];
                if rest.starts_with(char::is_whitespace) {
                    add(Some(rest.trim()));
                }
            }
        }
        tokens
    }

    fn verify(&self, ctx: &mut Ctx, token: &str) -> Result<(), Refusal> {
        let msg = |m: &str| Refusal::Message(m.to_string());
        let (header, claims) =
            decode_unverified(token).map_err(|e| Refusal::Message(format!("Bad token; {e}")))?;
        let claim_name = &self.c.key_claim_name;
        let key = claims.get(claim_name).or_else(|| header.get(claim_name));
        let key = match key {
            None | Some(Value::Null) => {
                return Err(Refusal::Message(format!(
                    "No mandatory '{claim_name}' in claims"
                )));
            }
            Some(Value::String(s)) if s.is_empty() => {
                return Err(Refusal::Message(format!(
                    "Invalid '{claim_name}' in claims"
                )));
            }
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(Refusal::Message(format!(
                    "Claim '{claim_name}' is not a string"
                )));
            }
        };
        let directory = ctx.directory.clone();
        let Some(secret) = directory.jwt_secret(&key) else {
            return Err(Refusal::Message(format!(
                "No credentials found for given '{claim_name}'"
            )));
        };
        if header.get("alg").and_then(Value::as_str) != Some(secret.algorithm.as_str()) {
            return Err(msg("Invalid algorithm"));
        }
        let algorithm =
            Algorithm::from_str(&secret.algorithm).map_err(|_| msg("Invalid algorithm"))?;
        let decoding_key = self
            .decoding_key(secret, algorithm)
            .ok_or_else(|| msg("Invalid key/secret"))?;
        let mut validation = Validation::new(algorithm);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        if jsonwebtoken::decode::<Value>(token, &decoding_key, &validation).is_err() {
            return Err(msg("Invalid signature"));
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let mut errors = Map::new();
        for claim in self.c.claims_to_verify.iter().flatten() {
            match claims.get(claim).and_then(Value::as_f64) {
                None => {
                    errors.insert(claim.clone(), json!("must be a number"));
                }
                Some(exp) if claim == "exp" && exp <= now => {
                    errors.insert(claim.clone(), json!("token expired"));
                }
                Some(nbf) if claim == "nbf" && nbf > now => {
                    errors.insert(claim.clone(), json!("token not valid yet"));
                }
                Some(_) => {}
            }
        }
        if !errors.is_empty() {
            return Err(Refusal::Claims(errors));
        }
        if self.c.maximum_expiration > 0.0 {
            let too_far = claims
                .get("exp")
                .and_then(Value::as_f64)
                .is_none_or(|exp| exp - now > self.c.maximum_expiration);
            if too_far {
                let mut errors = Map::new();
                errors.insert("exp".into(), json!("exceeds maximum allowed expiration"));
                return Err(Refusal::Claims(errors));
            }
        }
        let Some(consumer) = directory.consumer(&secret.consumer_id) else {
            return Err(Refusal::Message(format!(
                "Could not find consumer for '{claim_name}={key}'"
            )));
        };
        ctx.authenticate(consumer, Some((&secret.id, &secret.key)), false);
        Ok(())
    }

    fn decoding_key(&self, secret: &JwtSecret, algorithm: Algorithm) -> Option<DecodingKey> {
        use Algorithm::*;
        match algorithm {
            HS256 | HS384 | HS512 => {
                let raw = secret.secret.as_deref()?;
                if self.c.secret_is_base64 {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(raw)
                        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw))
                        .ok()?;
                    Some(DecodingKey::from_secret(&bytes))
                } else {
                    Some(DecodingKey::from_secret(raw.as_bytes()))
                }
            }
            RS256 | RS384 | RS512 | PS256 | PS384 | PS512 => {
                DecodingKey::from_rsa_pem(secret.rsa_public_key.as_deref()?.as_bytes()).ok()
            }
            ES256 | ES384 => {
                DecodingKey::from_ec_pem(secret.rsa_public_key.as_deref()?.as_bytes()).ok()
            }
            EdDSA => DecodingKey::from_ed_pem(secret.rsa_public_key.as_deref()?.as_bytes()).ok(),
        }
    }

    /// A 401; `token_sent` picks the challenge (`error="invalid_token"` once a token came).
    /// The body is `{"message": …}` or the claim errors alone, without the `request_id` of
    /// the other plugins' errors: Kong's jwt answers with `kong.response.exit`, not
    /// `kong.response.error`.
    fn refuse(&self, refusal: Refusal, token_sent: bool) -> Flow {
        let body = match refusal {
            Refusal::Message(message) => json!({ "message": message }),
            Refusal::Claims(errors) => Value::Object(errors),
        };
        let mut response = json_response(StatusCode::UNAUTHORIZED, &body);
        let challenge = if token_sent {
            &self.www_authenticate_invalid
        } else {
            &self.www_authenticate
        };
        response
            .headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, challenge.clone());
        Flow::Respond(response)
    }
}

/// The header and claims of a compact JWS, before any signature check.
type Object = Map<String, Value>;

/// The `alg` values Kong's parser knows; any other is a bad token, whatever the secret says.
const KNOWN_ALGORITHMS: [&str; 13] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256",
    "PS384", "PS512", "EdDSA",
];

/// Decodes a token as Kong's `jwt_parser` does, with its messages (after "Bad token; "):
/// a part that is missing or not base64url JSON is "invalid JSON", an unknown `alg` is
/// "invalid alg" and a signature that is not base64url is "invalid signature". As in Kong,
/// the signature is everything after the second dot.
fn decode_unverified(token: &str) -> Result<(Object, Object), String> {
    let mut parts = token.splitn(3, '.');
    let (Some(header), Some(claims), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("invalid JSON".into());
    };
    let part = |text: &str| -> Result<Object, String> {
        let bytes = base64url(text).ok_or("invalid JSON")?;
        serde_json::from_slice(&bytes).map_err(|_| "invalid JSON".to_string())
    };
    let (header, claims) = (part(header)?, part(claims)?);
    let alg = header.get("alg").and_then(Value::as_str);
    if !alg.is_some_and(|alg| KNOWN_ALGORITHMS.contains(&alg)) {
        return Err("invalid alg".into());
    }
    if base64url(signature).is_none() {
        return Err("invalid signature".into());
    }
    Ok((header, claims))
}

/// Base64url with or without padding.
fn base64url(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
}

#[async_trait]
impl PluginRuntime for Jwt {
    async fn access(&self, ctx: &mut Ctx) -> Flow {
        if !self.c.run_on_preflight && ctx.request.method == Method::OPTIONS {
            return Flow::Continue;
        }
        if self.c.anonymous.is_some() && ctx.has_credential() {
            return Flow::Continue;
        }
        let tokens = self.tokens(ctx);
        let result = match tokens.as_slice() {
            [] => Err(Refusal::Message("Unauthorized".into())),
            [Some(token)] => self.verify(ctx, token),
            [None] => Err(Refusal::Message("Unrecognizable token".into())),
            _ => Err(Refusal::Message("Multiple tokens provided".into())),
        };
        match (result, &self.c.anonymous) {
            (Ok(()), _) => Flow::Continue,
            (Err(_), Some(anonymous)) => anonymous_or_error(ctx, anonymous),
            (Err(refusal), None) => self.refuse(refusal, !tokens.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_corpus::corpus;

    /// Odd tokens are refused with Kong's messages, never a panic; padding is accepted.
    #[test]
    fn odd_tokens_do_not_panic() {
        let huge = format!(
            "{}.{}.{}",
            "e".repeat(400_000),
            "a".repeat(400_000),
            "b".repeat(10)
        );
        let mut tokens: Vec<String> = [
            "",
            ".",
            "..",
            "...",
            "....",
            "=.=.=",
            "é.é.é",
            "eyJhbGciOiJIUzI1NiJ9",
            "a.b",
            "eyJhbGciOiJIUzI1NiJ9.e30",
            "eyJhbGciOiJIUzI1NiJ9.e30.a.b",
            "eyJhbGciOiJub25lIn0.e30.",
            "eyJhbGciOiJIUzI1NiJ9.W10.",
            "W10.e30.",
            "eyJhbGciOiJIUzI1NiJ9.e30.é",
            huge.as_str(),
        ]
        .map(String::from)
        .to_vec();
        tokens.extend(corpus(
            &[".", "e", "y", "J", "=", "-", "_", "é", "3", "0"],
            4,
        ));
        for token in &tokens {
            if let Err(e) = decode_unverified(token) {
                assert!(
                    ["invalid JSON", "invalid alg", "invalid signature"].contains(&e.as_str()),
                    "{token:?}: {e}"
                );
            }
        }
        let ok = |t: &str| decode_unverified(t).map(|(h, c)| (Value::Object(h), Value::Object(c)));
        assert_eq!(
            ok("eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJrIn0=.").unwrap(),
            (json!({"alg": "HS256"}), json!({"iss": "k"}))
        );
        assert!(ok("eyJhbGciOiJIUzI1NiJ9.e30.YQ==").is_ok());
        assert_eq!(ok("eyJhbGciOiJub25lIn0.e30.").unwrap_err(), "invalid alg");
        assert_eq!(
            ok("eyJhbGciOiJIUzI1NiJ9.e30.a.b").unwrap_err(),
            "invalid signature"
        );
        assert_eq!(ok("eyJhbGciOiJIUzI1NiJ9.W10.").unwrap_err(), "invalid JSON");
        assert_eq!(ok("..").unwrap_err(), "invalid JSON");
    }
}
