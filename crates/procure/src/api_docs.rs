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
                    "The city's public purchasing data, which anyone may read without a token, and \
                     operations for API clients and staff that need an access token: a client gets \
                     one from `POST /api/oauth/token` (OAuth 2 client credentials), or a staff \
                     member uses a personal token; send it as `Authorization: Bearer \
                     <token>`. Each token has scopes and a rate limit (`RateLimit-*` headers on \
                     every answer to it). Every error is a JSON object of the `ApiError` shape, \
                     except the token endpoint's, which are OAuth's. Detail responses carry an \
                     `ETag`; send it back in `If-None-Match` and an unchanged resource is answered \
                     with 304 and no body. See docs/api.md.",
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
    let base = state.config.site.app_url.as_str().trim_end_matches('/').to_owned();
    let ctx = context! {
        title => doc.pointer("/info/title").and_then(Value::as_str).unwrap_or("API"),
        description => minijinja::Value::from_safe_string(markdown(doc.pointer("/info/description").and_then(Value::as_str).unwrap_or(""), false)),
        operations => Serde(operations(doc, &base)),
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
    /// HTML, from the document's Markdown.
    description: String,
    parameters: Vec<Row>,
    responses: Vec<Row>,
    /// A request to try, as a `curl` command line.
    example_request: String,
    /// The shape of a successful answer, with made-up values.
    example_response: Option<String>,
}

/// A line of a parameter, response or property table.
#[derive(Debug, Serialize)]
struct Row {
    name: String,
    /// Where it goes (path, query) or whether it is required.
    note: String,
    kind: Kind,
    /// HTML, from the document's Markdown (one paragraph, unwrapped).
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

/// `source` (CommonMark, as the document's descriptions are written) as HTML. Raw HTML in it is
/// shown as text, never passed through. `inline`: without the paragraph around a single one,
/// for table cells.
fn markdown(source: &str, inline: bool) -> String {
    use pulldown_cmark::{Event, Parser};
    let events = Parser::new(source).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    let html = html.trim();
    match html.strip_prefix("<p>").and_then(|h| h.strip_suffix("</p>")) {
        Some(one) if inline && !one.contains("<p>") => one.to_owned(),
        _ => html.to_owned(),
    }
}

/// A described field's Markdown as inline HTML.
fn described(v: &Value) -> String {
    markdown(&text(v, "description"), true)
}

/// The `curl` line for an operation: path parameters filled with an example id, query
/// parameters that have an example, its credentials (the first security requirement) and its
/// form body's example.
fn example_request(doc: &Value, base: &str, method: &str, path: &str, op: &Value) -> String {
    let parameters: Vec<Value> = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut flags = String::new();
    if method != "GET" {
        flags.push_str(&format!("-X {method} "));
    }
    let scheme = op.pointer("/security/0").and_then(Value::as_object).and_then(|r| r.keys().next().cloned());
    match scheme.as_deref() {
        Some("client_basic") => flags.push_str("-u \"$CLIENT_ID:$CLIENT_SECRET\" "),
        Some(_) => flags.push_str("-H \"Authorization: Bearer $TOKEN\" "),
        None => {}
    }
    if let Some(body) =
        op.pointer("/requestBody/content/application~1x-www-form-urlencoded/example").and_then(Value::as_str)
    {
        flags.push_str(&format!("-d '{body}' "));
    }
    if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
        let body = example_of(doc, schema, "", 0).to_string().replace('\'', "'\\''");
        flags.push_str(&format!("-H 'Content-Type: application/json' -d '{body}' "));
    }
    if let Some(schema) = op.pointer("/requestBody/content/multipart~1form-data/schema") {
        // One -F per part: a file from disk for binary parts, text for the others.
        for (name, part) in resolved(doc, schema).get("properties").and_then(Value::as_object).into_iter().flatten() {
            if part.get("format").and_then(Value::as_str) == Some("binary") {
                flags.push_str(&format!("-F '{name}=@{name}.pdf' "));
            } else {
                flags.push_str(&format!("-F '{name}={}' ", scalar(&example_of(doc, part, name, 0))));
            }
        }
    }
    let mut url = path.to_owned();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for p in &parameters {
        let name = text(p, "name");
        let example = p.get("example").or_else(|| p.pointer("/schema/example"));
        match (text(p, "in").as_str(), example) {
            ("path", _) => url = url.replace(&format!("{{{name}}}"), &example.map_or("1".to_owned(), scalar)),
            ("query", Some(value)) => {
                query.append_pair(&name, &scalar(value));
            }
            // A required parameter is in the example even without an example value.
            ("query", None) if p.get("required").and_then(Value::as_bool).unwrap_or(false) => {
                let schema = p.get("schema").unwrap_or(&Value::Null);
                query.append_pair(&name, &scalar(&example_of(doc, schema, &name, 0)));
            }
            _ => {}
        }
    }
    let query = query.finish();
    let target = if query.is_empty() { format!("{base}{url}") } else { format!("{base}{url}?{query}") };
    format!("curl {flags}-H 'Accept: application/json' '{target}'")
}

fn scalar(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// A made-up value of `schema`'s shape: its own example where it has one, else one per type
/// (dates as dates, ids as small numbers). `depth` stops a schema that contains itself.
fn example_of(doc: &Value, schema: &Value, name: &str, depth: usize) -> Value {
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if depth > 6 {
        return Value::Null;
    }
    if schema.get("$ref").is_some() {
        return example_of(doc, resolved(doc, schema), name, depth + 1);
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = serde_json::Map::new();
        for part in parts {
            if let Value::Object(fields) = example_of(doc, part, name, depth + 1) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    for combinator in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(combinator).and_then(Value::as_array) {
            // The first option that is not null: show the value, not its absence.
            let option = options.iter().find(|o| o.get("type").and_then(Value::as_str) != Some("null"));
            return option.map_or(Value::Null, |o| example_of(doc, o, name, depth + 1));
        }
    }
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|v| v.first()) {
        return first.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "null",
    };
    match kind {
        "object" => Value::Object(
            schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), example_of(doc, v, k, depth + 1)))
                .collect(),
        ),
        "array" => Value::Array(vec![example_of(doc, schema.get("items").unwrap_or(&Value::Null), name, depth + 1)]),
        "integer" => Value::from(if name.ends_with("total") || name == "pages" { 3 } else { 1 }),
        "number" => Value::from(12.5),
        "boolean" => Value::Bool(false),
        "string" => Value::from(match schema.get("format").and_then(Value::as_str) {
            Some("date") => "2027-06-30".to_owned(),
            Some("date-time") => "2027-06-30T18:00:00Z".to_owned(),
            _ if name == "url" || name.ends_with("_url") => "https://…".to_owned(),
            _ => format!("{} …", name.replace('_', " ")),
        }),
        _ => Value::Null,
    }
}

fn operations(doc: &Value, base: &str) -> Vec<Operation> {
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
                    description: described(p),
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
                    description: described(r),
                })
                .collect();
            let example_response = ["200", "201"]
                .iter()
                .find_map(|status| op.pointer(&format!("/responses/{status}/content/application~1json/schema")))
                .map(|schema| serde_json::to_string_pretty(&example_of(doc, schema, "", 0)).unwrap_or_default());
            out.push(Operation {
                anchor: text(op, "operationId"),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: markdown(&text(op, "description"), false),
                example_request: example_request(doc, base, &method.to_uppercase(), path, op),
                example_response,
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
                        description: described(p),
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
            Schema { name: name.clone(), description: markdown(&text(s, "description"), false), properties, values }
        })
        .collect()
}

/// The schema a `$ref` names (null if the document lacks it), or `schema` itself.
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(&format!("/components/schemas/{}", ref_name(r))).unwrap_or(&Value::Null),
        None => schema,
    }
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
    fn descriptions_are_markdown_and_raw_html_stays_text() {
        assert_eq!(
            markdown("Words in `code` and *emphasis*.", true),
            "Words in <code>code</code> and <em>emphasis</em>."
        );
        assert_eq!(markdown("One.\n\nTwo.", true), "<p>One.</p>\n<p>Two.</p>");
        assert!(
            markdown("<script>alert(1)</script>", true).contains("&lt;script&gt;"),
            "raw HTML is not passed through"
        );
    }

    #[test]
    fn every_operation_has_an_example_request_and_answer() {
        let doc = document_json();
        for op in operations(doc, "https://example.gov") {
            assert!(
                op.example_request.starts_with("curl ")
                    && op.example_request.contains("-H 'Accept: application/json' 'https://example.gov/api/"),
                "{}",
                op.example_request
            );
            let target = op.example_request.rsplit(" '").next().unwrap_or_default();
            assert!(!target.contains('{'), "path parameters filled: {}", op.example_request);
            let answer = op.example_response.expect("a 200 or 201 with a body");
            let value: Value = serde_json::from_str(&answer).expect("JSON");
            let filled =
                value.as_object().is_some_and(|o| !o.is_empty()) || value.as_array().is_some_and(|a| !a.is_empty());
            assert!(filled, "{}: {answer}", op.path);
        }
        let search = operations(doc, "").into_iter().find(|o| o.path == "/api/v1/contracts").expect("search");
        assert!(search.example_request.contains("q=road+salt"), "{}", search.example_request);
        // Credentials as each operation takes them.
        let ops = operations(doc, "");
        let of = |path: &str| ops.iter().find(|o| o.path == path).map(|o| o.example_request.clone()).expect(path);
        assert!(!search.example_request.contains("Authorization"), "public data needs no token");
        assert!(of("/api/v1/me").contains("-H \"Authorization: Bearer $TOKEN\""), "{}", of("/api/v1/me"));
        assert!(
            of("/api/oauth/token")
                .starts_with("curl -X POST -u \"$CLIENT_ID:$CLIENT_SECRET\" -d 'grant_type=client_credentials' "),
            "{}",
            of("/api/oauth/token")
        );
        // Bodies as each operation takes them: JSON, or a multipart form with its file.
        let put = ops
            .iter()
            .find(|o| o.path == "/api/v1/contracts/by-controller/{number}" && o.method == "PUT")
            .map(|o| o.example_request.clone())
            .expect("the contract PUT");
        assert!(put.contains("-H 'Content-Type: application/json' -d '{\""), "{put}");
        assert!(put.contains("\"description\":\"Road salt, winter 2027\""), "{put}");
        let upload = of("/api/v1/opportunities/drafts/{id}/documents");
        assert!(upload.contains("-F 'document=@document.pdf'") && upload.contains("-F 'name="), "{upload}");
        assert!(of("/api/v1/vendors/{id}/subscriptions").contains("?sig="), "the signature is in the example");
    }

    #[test]
    fn the_document_lists_every_operation_and_schema() {
        let doc = document_json();
        let ops = operations(doc, "");
        assert!(ops.iter().any(|o| o.method == "GET" && o.path == "/api/v1/contracts/{id}"));
        let names: Vec<String> = schemas(doc).into_iter().map(|s| s.name).collect();
        for wanted in ["ApiError", "Contract", "SearchPage", "Company"] {
            assert!(names.iter().any(|n| n == wanted), "{wanted} missing from {names:?}");
        }
    }
}
