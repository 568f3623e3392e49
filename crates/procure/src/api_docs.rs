//! The API's description: the OpenAPI document of every mounted crate's API at
//! `/api/openapi.json`, and the same document as a readable page at `/api/docs`.
//!
//! The page is rendered on the server from the document rather than by Swagger UI: it works
//! offline and without JavaScript, needs no inline script under the Content-Security-Policy,
//! and uses the site's own (USWDS) styles, so it passes the same accessibility checks.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use minijinja::value::Serde;
use platform::http::{AppError, AppState, Routes};
use serde::Serialize;
use serde_json::Value;

/// The whole API's OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title(format!("{} API", crate::app::SITE_NAME))
                .version("1")
                .description(Some(
                    "Read-only access to the city's public purchasing data. Every error is a JSON \
                     object of the `ApiError` shape. Detail responses carry an `ETag`; send it back \
                     in `If-None-Match` and an unchanged resource is answered with 304 and no body.",
                ))
                .license(Some(utoipa::openapi::LicenseBuilder::new().name("AGPL-3.0-or-later").build()))
                .build(),
        )
        .build();
    for wing in crate::app::wings() {
        if let Some(paths) = wing.openapi {
            doc.merge(paths);
        }
    }
    doc
}

/// The document as JSON, made once.
fn document_json() -> &'static Value {
    static JSON: OnceLock<Value> = OnceLock::new();
    JSON.get_or_init(|| serde_json::to_value(document()).unwrap_or(Value::Null))
}

/// The binary's own part: the API's description, and its page template (`api/docs.html`).
pub fn wing() -> platform::Wing {
    platform::Wing::new("api").routes(routes()).templates(platform::template_source!())
}

fn routes() -> Routes {
    Routes::new()
        .get("/api", || async { axum::response::Redirect::permanent("/api/docs") })
        .get("/api/openapi.json", openapi_json)
        .get("/api/docs", docs_page)
}

async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], axum::Json(document_json())).into_response()
}

async fn docs_page(State(state): State<AppState>, viewer: accounts::Viewer) -> Result<Response, AppError> {
    let doc = document_json();
    let ctx = context! {
        title => doc.pointer("/info/title").and_then(Value::as_str).unwrap_or("API"),
        description => doc.pointer("/info/description").and_then(Value::as_str).unwrap_or(""),
        operations => Serde(operations(doc)),
        schemas => Serde(schemas(doc)),
    };
    Ok(accounts::page(&state, &viewer, "api/docs.html", ctx)?.into_response())
}

#[derive(Debug, Serialize)]
struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    parameters: Vec<Row>,
    responses: Vec<Row>,
}

/// A line of a parameter, response or property table.
#[derive(Debug, Serialize)]
struct Row {
    name: String,
    /// Where it goes (path, query) or whether it is required.
    note: String,
    kind: Kind,
    description: String,
}

/// A type as the page writes it: words, with the schema it names (to link to), if any.
#[derive(Debug, Serialize)]
struct Kind {
    text: String,
    schema: Option<String>,
}

#[derive(Debug, Serialize)]
struct Schema {
    name: String,
    description: String,
    properties: Vec<Row>,
    values: Vec<String>,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else { return out };
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        for (method, op) in item {
            let parameters = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| Row {
                    name: text(p, "name"),
                    note: format!(
                        "{}{}",
                        text(p, "in"),
                        if p.get("required").and_then(Value::as_bool).unwrap_or(false) { ", required" } else { "" }
                    ),
                    kind: kind(p.get("schema").unwrap_or(&Value::Null)),
                    description: text(p, "description"),
                })
                .collect();
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(status, r)| Row {
                    name: status.clone(),
                    note: String::new(),
                    kind: r
                        .pointer("/content/application~1json/schema")
                        .map(kind)
                        .unwrap_or(Kind { text: "no body".into(), schema: None }),
                    description: text(r, "description"),
                })
                .collect();
            out.push(Operation {
                anchor: text(op, "operationId"),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                parameters,
                responses,
            });
        }
    }
    out
}

fn schemas(doc: &Value) -> Vec<Schema> {
    let Some(all) = doc.pointer("/components/schemas").and_then(Value::as_object) else { return Vec::new() };
    all.iter()
        .map(|(name, s)| {
            let required: Vec<&str> =
                s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
            let mut properties = Vec::new();
            // A flattened struct arrives as allOf: its parts' properties are the schema's.
            let parts: Vec<&Value> = match s.get("allOf").and_then(Value::as_array) {
                Some(parts) => parts.iter().collect(),
                None => vec![s],
            };
            for part in parts {
                if let Some(r) = part.get("$ref").and_then(Value::as_str) {
                    properties.push(Row {
                        name: "…".into(),
                        note: String::new(),
                        kind: Kind { text: String::new(), schema: Some(ref_name(r)) },
                        description: "Every property of this schema too.".into(),
                    });
                }
                let inner: Vec<&str> = part
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                for (prop, p) in part.get("properties").and_then(Value::as_object).into_iter().flatten() {
                    let needed = required.contains(&prop.as_str()) || inner.contains(&prop.as_str());
                    properties.push(Row {
                        name: prop.clone(),
                        note: if needed { "always".into() } else { String::new() },
                        kind: kind(p),
                        description: text(p, "description"),
                    });
                }
            }
            let values = s
                .get("enum")
                .or_else(|| s.pointer("/oneOf"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| {
                    v.as_str().map(str::to_owned).or_else(|| {
                        let value = v.pointer("/enum/0").and_then(Value::as_str)?;
                        let about = text(v, "description");
                        Some(if about.is_empty() { value.to_owned() } else { format!("{value} — {about}") })
                    })
                })
                .collect();
            Schema { name: name.clone(), description: text(s, "description"), properties, values }
        })
        .collect()
}

fn ref_name(r: &str) -> String {
    r.rsplit('/').next().unwrap_or(r).to_owned()
}

/// A schema in words: "string (date) or null", "array of Contract", "ContractStatus".
fn kind(s: &Value) -> Kind {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return Kind { text: String::new(), schema: Some(ref_name(r)) };
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = s.get(combinator).and_then(Value::as_array) {
            let kinds: Vec<Kind> = options.iter().map(kind).collect();
            let schema = kinds.iter().find_map(|k| k.schema.clone());
            let words: Vec<String> = kinds.iter().map(|k| k.text.clone()).filter(|t| !t.is_empty()).collect();
            return Kind { text: words.join(" or "), schema };
        }
    }
    let types: Vec<String> = match s.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let mut words = Vec::new();
    let mut schema = None;
    for t in &types {
        let word = match t.as_str() {
            "array" => {
                let items = kind(s.get("items").unwrap_or(&Value::Null));
                schema = items.schema.clone();
                if items.text.is_empty() { "array of".to_owned() } else { format!("array of {}", items.text) }
            }
            "string" => match s.get("format").and_then(Value::as_str) {
                Some(f) => format!("string ({f})"),
                None => "string".to_owned(),
            },
            other => other.to_owned(),
        };
        words.push(word);
    }
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        words.push(format!("one of {}", values.join(", ")));
    }
    Kind { text: words.join(" or "), schema }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_as_words() {
        let k = kind(&serde_json::json!({ "type": ["string", "null"], "format": "date" }));
        assert_eq!(k.text, "string (date) or null");
        let k = kind(&serde_json::json!({ "type": "array", "items": { "$ref": "#/components/schemas/Contract" } }));
        assert_eq!((k.text.as_str(), k.schema.as_deref()), ("array of", Some("Contract")));
        let k = kind(&serde_json::json!({ "oneOf": [{ "type": "null" }, { "$ref": "#/components/schemas/X" }] }));
        assert_eq!((k.text.as_str(), k.schema.as_deref()), ("null", Some("X")));
    }

    #[test]
    fn the_document_lists_every_operation_and_schema() {
        let doc = document_json();
        let ops = operations(doc);
        assert!(ops.iter().any(|o| o.method == "GET" && o.path == "/api/v1/contracts/{id}"));
        let names: Vec<String> = schemas(doc).into_iter().map(|s| s.name).collect();
        for wanted in ["ApiError", "Contract", "SearchPage", "Company"] {
            assert!(names.iter().any(|n| n == wanted), "{wanted} missing from {names:?}");
        }
    }
}
