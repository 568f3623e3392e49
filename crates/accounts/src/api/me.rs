//! `GET /api/v1/me`: who a token acts for and what it may do, so a client can check its token
//! (and its scopes) before it relies on it. The OpenAPI description of the token endpoint and
//! the security schemes every authenticated operation names are here too ([`ApiDoc`]).

use axum::Json;
use chrono::{DateTime, Utc};
use platform::http::api::ApiError;
use serde::Serialize;
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes as DocScopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi, ToSchema};

use super::bearer::ApiCaller;
use super::scopes::Scope;

/// The name of the bearer-token scheme in the document.
pub const BEARER: &str = "bearer";
/// The name of the OAuth 2 client-credentials scheme in the document.
pub const OAUTH: &str = "oauth2";
/// The name of the token endpoint's own scheme: the client's id and secret by HTTP Basic.
pub const CLIENT_BASIC: &str = "client_basic";

#[derive(OpenApi)]
#[openapi(
    paths(me, token),
    components(schemas(Me, ActingUser, ActingClient, TokenAnswer, TokenError)),
    modifiers(&SecuritySchemes),
    tags((name = "access", description = "API clients and tokens: see docs/api.md."))
)]
pub struct ApiDoc;

/// Adds the two ways to present a token: any bearer token (a personal token, or a client's),
/// and OAuth 2's client-credentials flow with its scopes.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal access token (made on your profile) or a client's access token."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            CLIENT_BASIC,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("The client's client_id and client_secret, for the token endpoint only."))
                    .build(),
            ),
        );
        let scopes = DocScopes::from_iter(Scope::ALL.into_iter().map(|s| (s.name(), s.describe())));
        components.add_security_scheme(
            OAUTH,
            SecurityScheme::OAuth2(OAuth2::new([Flow::ClientCredentials(ClientCredentials::new(
                "/api/oauth/token",
                scopes,
            ))])),
        );
    }
}

/// Who a token acts for.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user whose permissions decide what the token may do.
    pub user: ActingUser,
    /// The client the token was issued to; null for a personal token.
    pub client: Option<ActingClient>,
    /// The token's scopes.
    pub scopes: Vec<String>,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActingUser {
    pub id: i32,
    pub email: String,
    pub name: String,
    /// The user's roles (superadmin, admin, conductor, staff, county).
    pub roles: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActingClient {
    pub id: i32,
    pub name: String,
}

/// A token endpoint's answer (RFC 6749 §5.1).
#[allow(dead_code)] // Described for the document; `grant.rs` writes the same fields.
#[derive(Debug, Serialize, ToSchema)]
struct TokenAnswer {
    access_token: String,
    /// Always `Bearer`.
    token_type: String,
    /// Seconds until it stops working.
    expires_in: i64,
    /// The scopes given, space-separated.
    scope: String,
}

/// A token endpoint's refusal (RFC 6749 §5.2).
#[allow(dead_code)] // Described for the document; `grant.rs` writes the same fields.
#[derive(Debug, Serialize, ToSchema)]
struct TokenError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type` or `invalid_scope`.
    error: String,
    error_description: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "access",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Who the token acts for, and its scopes", body = Me),
        (status = 401, description = "No token, or one that is unknown, expired or revoked", body = ApiError),
        (status = 429, description = "The token's rate limit is used up; see Retry-After", body = ApiError),
    )
)]
/// Who the token acts for, its scopes and its expiry.
pub async fn me(caller: ApiCaller) -> Json<Me> {
    Json(Me {
        user: ActingUser {
            id: caller.user.id,
            email: caller.user.email.clone(),
            name: caller.user.display_name(),
            roles: caller.user.roles.iter().map(|r| r.name().to_owned()).collect(),
        },
        client: caller.client.map(|(id, name)| ActingClient { id, name }),
        scopes: caller.scopes.iter().map(|s| s.name().to_owned()).collect(),
        expires_at: caller.expires_at,
    })
}

// Described here, served by `grant::token`.
/// Get an access token: OAuth 2 client credentials.
#[allow(dead_code)]
#[utoipa::path(
    post,
    path = "/api/oauth/token",
    tag = "access",
    security(("client_basic" = [])),
    request_body(
        content = String,
        content_type = "application/x-www-form-urlencoded",
        description = "grant_type=client_credentials, and optionally scope (space-separated). Authenticate with HTTP Basic (client_id:client_secret) or client_id and client_secret in the form.",
        example = json!("grant_type=client_credentials")
    ),
    responses(
        (status = 200, description = "An access token", body = TokenAnswer),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope", body = TokenError),
        (status = 401, description = "invalid_client: unknown client, wrong secret, or a client that may not get tokens", body = TokenError),
        (status = 429, description = "Too many token requests for this client or address; see Retry-After", body = TokenError),
    )
)]
async fn token() {}
