//! TLS material: `certificates`, their `snis`, and `ca_certificates`.

use serde_json::Value;

use super::typedefs::*;
use crate::kinds::check::EntityCheck;
use crate::kinds::schema::{Auto, OnDelete, array, field, record, string};
use crate::kinds::{Identity, Kind};

fn pem(label: &'static str) -> crate::kinds::schema::FieldSchema {
    let check: fn(&Value) -> Result<(), String> = match label {
        "CERTIFICATE" => check_cert_pem,
        _ => check_key_pem,
    };
    string().check("pem", check)
}

/// The SHA-256 of the first certificate in a PEM text (of its DER bytes), lowercase hex, as
/// Kong's `cert_digest`; None when the text holds no decodable certificate.
pub fn pem_digest(text: &str) -> Option<String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use sha2::{Digest, Sha256};
    let der = CertificateDer::from_pem_slice(text.as_bytes()).ok()?;
    Some(
        Sha256::digest(der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

fn check_cert_pem(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    if text.contains("-----BEGIN CERTIFICATE-----") {
        Ok(())
    } else {
        Err("invalid certificate: not a PEM certificate".into())
    }
}

fn check_key_pem(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
        Ok(())
    } else {
        Err("invalid key: not a PEM private key".into())
    }
}

pub fn certificate() -> Kind {
    let schema = record(vec![
        id(),
        created_at(),
        updated_at(),
        field("cert", pem("CERTIFICATE").required()),
        field("key", pem("KEY").required().secret()),
        field("cert_alt", pem("CERTIFICATE")),
        field("key_alt", pem("KEY").secret()),
        tags(),
        field("snis", array(string())),
    ])
    .with_checks(vec![EntityCheck::MutuallyRequired(vec![
        "cert_alt", "key_alt",
    ])]);
    Kind::new(
        "certificates",
        schema,
        Identity::Fields(vec!["cert", "key"]),
        1,
    )
    .admin_paths("certificates", "certificate")
    .event("certificate")
    .child("snis", "snis", "certificate")
    .mirror("snis", "snis", "name", "certificate")
}

pub fn sni() -> Kind {
    let mut certificate = reference("certificate", "certificates", OnDelete::Cascade);
    certificate.schema.required = true;
    let schema = record(vec![
        id(),
        created_at(),
        updated_at(),
        field(
            "name",
            string().required().unique().check("sni", check_sni_name),
        ),
        tags(),
        certificate,
    ]);
    Kind::new("snis", schema, Identity::Fields(vec!["name"]), 2)
        .event("sni")
        .nested_only()
        .endpoint_key("name")
}

fn check_sni_name(value: &Value) -> Result<(), String> {
    let text = value.as_str().unwrap_or_default();
    if text.parse::<std::net::IpAddr>().is_ok() {
        return Err("must not be an IP".into());
    }
    if text.contains(':') {
        return Err("must not have a port".into());
    }
    check_host(&Value::from(
        text.trim_start_matches("*.").trim_end_matches(".*"),
    ))
}

pub fn ca_certificate() -> Kind {
    let schema = record(vec![
        id(),
        created_at(),
        updated_at(),
        field("cert", pem("CERTIFICATE").required()),
        field(
            "cert_digest",
            string()
                .unique()
                .auto(Auto::PemDigest("cert"))
                .server_managed(),
        ),
        tags(),
    ]);
    Kind::new("ca_certificates", schema, Identity::Fields(vec!["cert"]), 1).event("ca-certificate")
}
