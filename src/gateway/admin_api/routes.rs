//! The Admin API's route table, generated from the registry, and the matcher that serves it.
//!
//! Requests are matched against this one table, and `/endpoints` and the OpenAPI document list
//! it, so what is served and what is documented cannot drift apart. Parameters are named after
//! the kind, as Kong names them (`/services/{services}/routes/{routes}`).

use std::sync::LazyLock;

use http::Method;

use crate::gateway::store::Key;
use crate::kinds::{Kind, registry};

/// What a route serves.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Root,
    Status,
    Endpoints,
    Batch,
    PluginsEnabled,
    Tags,
    Tag,
    Schema,
    SchemaValidate,
    PluginSchema,
    /// `/config`: Kong's DB-less configuration endpoint, refused as Kong refuses it in
    /// database mode (the bundled gateway always has a database).
    Config,
    /// `/upstreams/{u}/health`.
    UpstreamHealth,
    /// `/upstreams/{u}/targets/{t}/healthy` or `…/unhealthy`.
    SetTargetHealth {
        healthy: bool,
    },
    /// `/{E}` or `/{P}/{p}/{E}` (parent kind and the child's foreign field).
    Collection {
        kind: &'static Kind,
        parent: Option<(&'static Kind, &'static str)>,
    },
    /// `/{E}/{e}` or `/{P}/{p}/{E}/{e}`.
    Entity {
        kind: &'static Kind,
        parent: Option<(&'static Kind, &'static str)>,
    },
    /// `/{E}/{e}/{field}`: the entity a foreign field points at (`/routes/{r}/service`).
    Referenced {
        kind: &'static Kind,
        field: &'static str,
        target: &'static Kind,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Param(String),
}

/// One path template and the methods it answers (HEAD and OPTIONS are implied).
#[derive(Debug, Clone)]
pub struct Template {
    pub path: String,
    parts: Vec<Part>,
    pub target: Target,
    pub methods: &'static [Method],
}

const READ: &[Method] = &[Method::GET];
const READ_POST: &[Method] = &[Method::GET, Method::POST];
const PUT: &[Method] = &[Method::PUT];
const POST: &[Method] = &[Method::POST];
const COLLECTION: &[Method] = &[Method::GET, Method::POST];
const ENTITY: &[Method] = &[Method::GET, Method::PUT, Method::PATCH, Method::DELETE];
const REFERENCED: &[Method] = &[Method::GET, Method::PUT, Method::PATCH];

fn template(path: String, target: Target, methods: &'static [Method]) -> Template {
    let parts = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Part::Param(name.to_string()),
                None => Part::Literal(s.to_string()),
            },
        )
        .collect();
    Template {
        path,
        parts,
        target,
        methods,
    }
}

/// Kinds whose endpoint key is only unique within a parent (targets) have no top-level
/// endpoints, as in Kong: they are reached through their parent.
fn top_level(kind: &Kind) -> bool {
    !kind.endpoint_key_scoped
}

fn build() -> Vec<Template> {
    let mut out = vec![
        template("/".into(), Target::Root, READ),
        template("/status".into(), Target::Status, READ),
        template("/endpoints".into(), Target::Endpoints, READ),
        template("/batch".into(), Target::Batch, POST),
        template("/plugins/enabled".into(), Target::PluginsEnabled, READ),
        template("/tags".into(), Target::Tags, READ),
        template("/tags/{tags}".into(), Target::Tag, READ),
        template("/config".into(), Target::Config, READ_POST),
        template("/schemas/plugins/{name}".into(), Target::PluginSchema, READ),
        template("/schemas/{name}".into(), Target::Schema, READ),
        template(
            "/schemas/{name}/validate".into(),
            Target::SchemaValidate,
            POST,
        ),
    ];
    let registry = registry();
    // Kong's upstream endpoints beyond the generic ones. They come before the generic
    // templates: matching takes the first that fits, so a literal (`all`, `healthy`) must come
    // before the `{targets}` parameter it would otherwise be taken for.
    if let (Some(targets), Some(upstreams)) = (registry.kind("targets"), registry.kind("upstreams"))
    {
        // Health, as the proxy's checks keep it.
        out.push(template(
            "/upstreams/{upstreams}/health".into(),
            Target::UpstreamHealth,
            READ,
        ));
        for (state, healthy) in [("healthy", true), ("unhealthy", false)] {
            out.push(template(
                format!("/upstreams/{{upstreams}}/targets/{{targets}}/{state}"),
                Target::SetTargetHealth { healthy },
                PUT,
            ));
        }
        // The raw list of an upstream's targets, weight 0 included: the same list as
        // `/upstreams/{u}/targets`, which gwctl never filters.
        out.push(template(
            "/upstreams/{upstreams}/targets/all".into(),
            Target::Collection {
                kind: targets,
                parent: Some((upstreams, "upstream")),
            },
            READ,
        ));
    }
    for kind in registry.kinds() {
        let (e, n) = (kind.admin_path, kind.name);
        if top_level(kind) {
            out.push(template(
                format!("/{e}"),
                Target::Collection { kind, parent: None },
                COLLECTION,
            ));
            out.push(template(
                format!("/{e}/{{{n}}}"),
                Target::Entity { kind, parent: None },
                ENTITY,
            ));
            for f in registry.foreign_fields(kind) {
                let Some(target) = registry.kind(f.kind) else {
                    continue;
                };
                out.push(template(
                    format!("/{e}/{{{n}}}/{}", f.field),
                    Target::Referenced {
                        kind,
                        field: f.field,
                        target,
                    },
                    REFERENCED,
                ));
            }
        }
        for f in registry.foreign_fields(kind) {
            let Some(parent) = registry.kind(f.kind).filter(|p| top_level(p)) else {
                continue;
            };
            let (p, pn, c) = (parent.admin_path, parent.name, kind.nested_admin_path);
            let scope = Some((parent, f.field));
            out.push(template(
                format!("/{p}/{{{pn}}}/{c}"),
                Target::Collection {
                    kind,
                    parent: scope,
                },
                COLLECTION,
            ));
            out.push(template(
                format!("/{p}/{{{pn}}}/{c}/{{{n}}}"),
                Target::Entity {
                    kind,
                    parent: scope,
                },
                ENTITY,
            ));
        }
    }
    out
}

static TEMPLATES: LazyLock<Vec<Template>> = LazyLock::new(build);

/// Every route the Admin API serves.
pub fn templates() -> &'static [Template] {
    &TEMPLATES
}

/// A request path matched against one template.
#[derive(Debug, Clone)]
pub struct Matched {
    pub template: &'static Template,
    /// The path's parameter values, in order (already percent-decoded).
    pub params: Vec<String>,
}

impl Matched {
    pub fn key(&self, index: usize) -> Key {
        Key::parse(&self.params[index])
    }
}

/// Every template matching the path, most specific (literal) first.
pub fn matching(segments: &[String]) -> Vec<Matched> {
    TEMPLATES
        .iter()
        .filter(|t| t.parts.len() == segments.len())
        .filter_map(|t| {
            let mut params = Vec::new();
            for (part, seg) in t.parts.iter().zip(segments) {
                match part {
                    Part::Literal(l) if l == seg => {}
                    Part::Literal(_) => return None,
                    Part::Param(_) => params.push(seg.clone()),
                }
            }
            Some(Matched {
                template: t,
                params,
            })
        })
        .collect()
}

/// Splits and percent-decodes a request path; `None` when it is not valid UTF-8.
pub fn segments(path: &str) -> Option<Vec<String>> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect()
}

fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target_of(path: &str) -> Vec<Target> {
        matching(&segments(path).unwrap())
            .into_iter()
            .map(|m| m.template.target)
            .collect()
    }

    #[test]
    fn literal_routes_come_before_parameters() {
        let found = target_of("/plugins/enabled");
        assert!(matches!(found[0], Target::PluginsEnabled));
        assert!(matches!(found[1], Target::Entity { .. }));
    }

    #[test]
    fn nested_routes_come_from_foreign_fields() {
        let paths: Vec<&str> = templates().iter().map(|t| t.path.as_str()).collect();
        for expected in [
            "/services/{services}/routes",
            "/services/{services}/routes/{routes}",
            "/routes/{routes}/service",
            "/consumers/{consumers}/key-auth/{keyauth_credentials}",
            "/upstreams/{upstreams}/targets",
            "/certificates/{certificates}/snis",
        ] {
            assert!(
                paths.contains(&expected),
                "{expected} missing from {paths:?}"
            );
        }
        assert!(
            !paths.contains(&"/targets"),
            "targets are reached through upstreams"
        );
    }

    #[test]
    fn segments_are_percent_decoded() {
        assert_eq!(
            segments("/services/a%20b/").unwrap(),
            vec!["services".to_string(), "a b".to_string()]
        );
        assert_eq!(segments("/x/%zz").unwrap()[1], "%zz");
        assert!(segments("/x/%ff").is_none());
    }
}
