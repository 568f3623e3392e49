//! Authenticated API access (issue 19): the client-credentials grant, bearer tokens on `/api/v1`,
//! their expiry, revocation and rate limit, on both databases.

mod common;

use accounts::Role;
use accounts::api::clients;
use accounts::api::tokens;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use common::builders::User;
use common::{Backend, TestApp};
use model::Stamp;
use model::entities::{api_client, api_token};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use common::api::{basic, client, get_with, grant, token_for};

async fn the_client_credentials_grant_gives_tokens_to_the_right_secret_only(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let owner = User::new("buyer@pittsburghpa.gov").roles(&[Role::Admin]).insert(&app).await;
    let (_, id, secret) = client(&app, "Financial system", owner.id, "contracts:write vendors:read").await;

    // The right secret, by HTTP Basic: a bearer token with every scope of the client.
    let answer = grant(&app, &[("grant_type", "client_credentials")], Some((&id, &secret))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), "no-store");
    assert_eq!(answer.header("pragma"), "no-cache");
    let body = answer.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "contracts:write vendors:read");
    let token = body["access_token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("pcat_"), "{token}");
    // Only its digest is kept.
    let kept = api_token::Entity::find().one(&app.state.db).await.expect("q").expect("row");
    assert_eq!(kept.token_hash, tokens::digest(&token));
    assert!(!format!("{kept:?}").contains(&token));

    // The same in the form; fewer scopes when asked.
    let in_form = grant(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "vendors:read"),
        ],
        None,
    )
    .await;
    assert_eq!((in_form.status, in_form.json()["scope"].as_str()), (StatusCode::OK, Some("vendors:read")));

    // The wrong secret, an unknown client, a scope it does not have, another grant type.
    for (form, credentials, status, error) in [
        (vec![("grant_type", "client_credentials")], Some((id.as_str(), "pcs_wrong")), 401, "invalid_client"),
        (vec![("grant_type", "client_credentials")], Some(("pcc_nobody", secret.as_str())), 401, "invalid_client"),
        (vec![("grant_type", "client_credentials")], None, 401, "invalid_client"),
        (
            vec![("grant_type", "client_credentials"), ("scope", "conductor:read")],
            Some((id.as_str(), secret.as_str())),
            400,
            "invalid_scope",
        ),
        (
            vec![("grant_type", "client_credentials"), ("scope", "everything")],
            Some((id.as_str(), secret.as_str())),
            400,
            "invalid_scope",
        ),
        (vec![("grant_type", "password")], Some((id.as_str(), secret.as_str())), 400, "unsupported_grant_type"),
    ] {
        let answer = grant(&app, &form, credentials).await;
        assert_eq!(answer.status.as_u16(), status, "{form:?}: {}", answer.body);
        assert_eq!(answer.json()["error"], error, "{form:?}");
        assert_eq!(answer.header("cache-control"), "no-store");
        if status == 401 {
            assert!(answer.header("www-authenticate").starts_with("Basic"), "{form:?}");
        }
    }

    // The token says who it acts for.
    let me = get_with(&app, "/api/v1/me", &token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let me_body = me.json();
    assert_eq!(me_body["user"]["id"], owner.id);
    assert_eq!(me_body["client"]["name"], "Financial system");
    assert_eq!(me_body["scopes"], serde_json::json!(["contracts:write", "vendors:read"]));
    assert!(me.header("cache-control").contains("no-store"), "{}", me.header("cache-control"));
    assert_eq!(me.header("ratelimit-limit"), "600");

    // Without a token: 401 with a Bearer challenge and the API's error shape.
    let anonymous = app.get_json("/api/v1/me").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.header("www-authenticate"), "Bearer realm=\"Procure API\"");
    let error = anonymous.json();
    assert_eq!(error["status"], 401);
    assert!(error["message"].as_str().is_some_and(|m| m.contains("Authorization: Bearer")), "{error}");
    assert!(!error["request_id"].as_str().unwrap_or("").is_empty());

    // A token that is not one, even where none is needed: 401 invalid_token, never read as anonymous.
    for bad in ["pcat_nothing", "not-ours", "pcpt_"] {
        let answer = get_with(&app, "/api/v1/contracts?q=salt", bad).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{bad}");
        assert!(answer.header("www-authenticate").contains("error=\"invalid_token\""), "{bad}");
    }
    let empty = app
        .request(Request::get("/api/v1/me").header("authorization", "Bearer").body(Body::empty()).expect("request"))
        .await;
    assert_eq!(empty.status, StatusCode::UNAUTHORIZED);
    // Other schemes are not ours: the basic-auth wall's credentials reach public data as before,
    // and an operation that needs a token says so (TRACE is still 405).
    for (method, path, status) in
        [("GET", "/api/v1/contracts?q=salt", 200), ("GET", "/api/v1/me", 401), ("TRACE", "/api/v1/me", 405)]
    {
        let walled = app
            .request(
                Request::builder()
                    .method(method)
                    .uri(path)
                    .header("authorization", basic("wall", "password"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(walled.status.as_u16(), status, "{method} {path}: {}", walled.body);
    }
    // A good token on a public endpoint: the public answer, never kept by a shared cache.
    let public = get_with(&app, "/api/v1/contracts?q=salt", &token).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.header("cache-control"), "private, no-store");

    // A deactivated client's tokens stop working, and it gets no new ones.
    let mut active: api_client::ActiveModel = api_client::Entity::find()
        .filter(api_client::Column::ClientId.eq(&id))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("client")
        .into();
    active.is_active = Set(false);
    active.update(&app.state.db).await.expect("deactivate");
    assert_eq!(get_with(&app, "/api/v1/me", &token).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(grant(&app, &[("grant_type", "client_credentials")], Some((&id, &secret))).await.status, 401);
}
on_both_backends!(the_client_credentials_grant_gives_tokens_to_the_right_secret_only);

async fn tokens_end_when_they_expire_are_revoked_or_their_user_goes(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let owner = User::new("buyer@pittsburghpa.gov").roles(&[Role::Conductor]).insert(&app).await;
    let (_, id, secret) = client(&app, "Mobile app", owner.id, "conductor:read").await;
    let token = token_for(&app, &id, &secret, None).await;
    assert_eq!(get_with(&app, "/api/v1/me", &token).await.status, StatusCode::OK);

    // Expired a second ago.
    let row = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(tokens::digest(&token)))
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("row");
    let mut expired: api_token::ActiveModel = row.into();
    expired.expires_at = Set(Utc::now() - Duration::seconds(1));
    expired.update(&app.state.db).await.expect("expire");
    let answer = get_with(&app, "/api/v1/me", &token).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.header("www-authenticate").contains("invalid_token"));

    // A personal token, revoked by its user.
    let personal = tokens::issue_personal(
        &app.state.db,
        &owner,
        "laptop",
        accounts::api::Scopes::all(),
        Utc::now() + Duration::days(30),
    )
    .await
    .expect("personal token");
    assert!(personal.token.starts_with("pcpt_"));
    let me = get_with(&app, "/api/v1/me", &personal.token).await;
    assert_eq!((me.status, me.json()["client"].is_null()), (StatusCode::OK, true));
    let stranger = User::new("someone@pittsburghpa.gov").insert(&app).await;
    assert!(!tokens::revoke_personal(&app.state.db, stranger.id, personal.id).await.expect("q"), "not theirs");
    assert!(tokens::revoke_personal(&app.state.db, owner.id, personal.id).await.expect("revoke"));
    assert_eq!(get_with(&app, "/api/v1/me", &personal.token).await.status, StatusCode::UNAUTHORIZED);

    // A client whose owner is deactivated gets no token, and its live tokens stop working.
    let live = token_for(&app, &id, &secret, None).await;
    let sql = format!("UPDATE users SET active = false WHERE id = {}", owner.id);
    sea_orm::ConnectionTrait::execute_unprepared(&app.state.db, &sql).await.expect("deactivate");
    assert_eq!(get_with(&app, "/api/v1/me", &live).await.status, StatusCode::UNAUTHORIZED);
    let refused = grant(&app, &[("grant_type", "client_credentials")], Some((&id, &secret))).await;
    assert_eq!((refused.status.as_u16(), refused.json()["error"].as_str()), (401, Some("invalid_client")));
}
on_both_backends!(tokens_end_when_they_expire_are_revoked_or_their_user_goes);

async fn the_configured_client_acts_for_its_owner(backend: Backend) {
    const SECRET: &str = "a-configured-secret-of-at-least-32-chars";
    let env = [
        ("CLIENT_ID", "city-financial-system"),
        ("CLIENT_SECRET", SECRET),
        ("CLIENT_OWNER", "Controller@PittsburghPA.gov"),
        ("CLIENT_SCOPES", "contracts:write"),
    ];
    let Some(app) = TestApp::new(backend, &env).await else { return };
    // No such user yet: refused.
    let early = grant(&app, &[("grant_type", "client_credentials")], Some(("city-financial-system", SECRET))).await;
    assert_eq!(early.status, StatusCode::UNAUTHORIZED, "{}", early.body);

    let owner = User::new("controller@pittsburghpa.gov").roles(&[Role::Admin]).insert(&app).await;
    let wrong = grant(&app, &[("grant_type", "client_credentials")], Some(("city-financial-system", "x"))).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let token = token_for(&app, "city-financial-system", SECRET, None).await;
    let me = get_with(&app, "/api/v1/me", &token).await.json();
    assert_eq!(me["user"]["id"], owner.id);
    assert_eq!(me["scopes"], serde_json::json!(["contracts:write"]));
    assert_eq!(me["client"]["name"], "city-financial-system (configured by CLIENT_ID)");
    let rows = api_client::Entity::find().all(&app.state.db).await.expect("q");
    assert_eq!(rows.len(), 1, "one row, however many tokens");
    assert_eq!(rows[0].secret_hash, tokens::digest(SECRET));

    // A client the environment configured before (its CLIENT_ID since changed) gets no token,
    // even with its old secret.
    let now = Utc::now();
    api_client::ActiveModel {
        name: Set(clients::configured_name("old-system")),
        client_id: Set("old-system".into()),
        secret_hash: Set(tokens::digest(SECRET)),
        scopes: Set("contracts:write".into()),
        owner_id: Set(Some(owner.id)),
        is_active: Set(true),
        secret_made_at: Set(now),
        ..Stamp::created(None, now)
    }
    .insert(&app.state.db)
    .await
    .expect("an old configured client");
    let stale = grant(&app, &[("grant_type", "client_credentials")], Some(("old-system", SECRET))).await;
    assert_eq!(stale.status, StatusCode::UNAUTHORIZED, "{}", stale.body);
}
on_both_backends!(the_configured_client_acts_for_its_owner);

async fn the_31st_request_in_a_window_gets_429_with_retry_after(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[("API_RATE_LIMIT", "30/86400")]).await else { return };
    let owner = User::new("buyer@pittsburghpa.gov").roles(&[Role::Staff]).insert(&app).await;
    let (_, id, secret) = client(&app, "Counter", owner.id, "vendors:read").await;
    let (first, second) = (token_for(&app, &id, &secret, None).await, token_for(&app, &id, &secret, None).await);
    // Windows are whole days (UTC): start in the same one the last request will be in.
    let into_day = Utc::now().timestamp().rem_euclid(86_400);
    if into_day > 86_400 - 60 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::try_from(86_400 - into_day + 1).unwrap_or(61))).await;
    }
    for n in 1..=30 {
        let answer = get_with(&app, "/api/v1/me", &first).await;
        assert_eq!(answer.status, StatusCode::OK, "request {n}");
        assert_eq!(answer.header("ratelimit-remaining"), (30 - n).to_string(), "request {n}");
        assert_eq!(answer.header("ratelimit-policy"), "30;w=86400");
    }
    let over = get_with(&app, "/api/v1/me", &first).await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(over.header("ratelimit-remaining"), "0");
    let retry: i64 = over.header("retry-after").parse().expect("seconds");
    assert!((1..=86_400).contains(&retry), "{retry}");
    assert_eq!(over.json()["status"], 429);
    // Another token has its own count.
    assert_eq!(get_with(&app, "/api/v1/me", &second).await.header("ratelimit-remaining"), "29");
}
on_both_backends!(the_31st_request_in_a_window_gets_429_with_retry_after);

/// The token endpoint counts every attempt per client id: the 31st in 15 minutes is a 429 with
/// `Retry-After`, even with the right secret.
async fn token_requests_are_limited_per_client(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let owner = User::new("buyer@pittsburghpa.gov").insert(&app).await;
    let (_, id, secret) = client(&app, "Looping app", owner.id, "vendors:read").await;
    for n in 1..=30 {
        let credentials = if n % 2 == 0 { (id.as_str(), secret.as_str()) } else { (id.as_str(), "pcs_wrong") };
        let answer = grant(&app, &[("grant_type", "client_credentials")], Some(credentials)).await;
        assert!(matches!(answer.status.as_u16(), 200 | 401), "attempt {n}: {}", answer.body);
    }
    let over = grant(&app, &[("grant_type", "client_credentials")], Some((&id, &secret))).await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS, "{}", over.body);
    assert_eq!(over.header("retry-after"), "60");
    assert_eq!(over.header("cache-control"), "no-store");
    assert_eq!(over.json()["error"], "invalid_request");
}
on_both_backends!(token_requests_are_limited_per_client);

/// A scope name `CLIENT_SCOPES` does not know stops the web process at start-up, naming it.
#[tokio::test]
async fn an_unknown_configured_scope_stops_start_up() {
    let dir = tempfile::tempdir().expect("dir");
    let config = common::test_config(
        dir.path(),
        None,
        &[
            ("CLIENT_ID", "city-financial-system"),
            ("CLIENT_SECRET", "a-configured-secret-of-at-least-32-chars"),
            ("CLIENT_OWNER", "controller@pittsburghpa.gov"),
            ("CLIENT_SCOPES", "contracts:write contracts:delete"),
        ],
    );
    let config = std::sync::Arc::new(config);
    let db = procure::app::open_database(&config).await.expect("open");
    let refused = procure::app::build_state(config, db).await.err().expect("refused");
    assert!(
        format!("{refused:#}").contains("CLIENT_SCOPES: there is no scope called \"contracts:delete\""),
        "{refused:#}"
    );
}

/// The first value starting with `prefix` on a page (a token or secret shown once).
fn shown_in(body: &str, prefix: &str) -> String {
    let start = body.find(prefix).unwrap_or_else(|| panic!("no {prefix}… on the page"));
    body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
}

/// The token made on the profile page: shown once, listed by name with its last use, usable as
/// its maker within its scope, revoked by its row's button; county users get none.
async fn personal_tokens_are_made_shown_once_used_and_revoked_on_the_profile(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let staff = common::browser::Browser::sign_in_as(&app, "analyst@pittsburghpa.gov", &[Role::Staff]).await;
    let profile = staff.get("/profile").await;
    assert!(profile.body.contains("API access tokens") && profile.body.contains("You have no tokens."));

    // A form without a scope: nothing made, the reason said.
    let refused = staff.post("/profile/tokens", &[("name", "Dashboard"), ("days", "90")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Choose at least one thing the token may do."), "{}", refused.body);
    let refused =
        staff.post("/profile/tokens", &[("name", "Dashboard"), ("days", "7"), ("scope", "vendors:read")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "only the offered lifetimes");

    let made =
        staff.post("/profile/tokens", &[("name", "Vendor dashboard"), ("days", "30"), ("scope", "vendors:read")]).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.header("cache-control"), "private, no-store");
    let token = shown_in(&made.body, tokens::PERSONAL_PREFIX);
    assert!(token.len() > 40, "{token}");

    // Shown once: the profile lists it by name, never its value.
    let listed = staff.get("/profile").await;
    assert!(!listed.body.contains(&token), "the value is not shown again");
    assert!(listed.body.contains("Vendor dashboard") && listed.body.contains("Never"), "{}", listed.body);

    // It works as its maker, within its scope; its last use is shown.
    assert_eq!(get_with(&app, "/api/v1/vendors", &token).await.status, StatusCode::OK);
    let me = get_with(&app, "/api/v1/me", &token).await.json();
    assert_eq!(me["user"]["email"], "analyst@pittsburghpa.gov");
    assert_eq!(get_with(&app, "/api/v1/contracts/by-controller/1", &token).await.status, StatusCode::FORBIDDEN);
    assert!(!staff.get("/profile").await.body.contains(">Never<"), "last use shown");

    // Revoked by its button: the token stops working at once, and the log has both.
    let id = api_token::Entity::find()
        .filter(api_token::Column::Name.eq("Vendor dashboard"))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("its row")
        .id;
    let revoked = staff.post(&format!("/profile/tokens/{id}/revoke"), &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert!(staff.get("/profile").await.body.contains("is revoked"));
    assert_eq!(get_with(&app, "/api/v1/me", &token).await.status, StatusCode::UNAUTHORIZED);
    let logged = app
        .count("SELECT COUNT(*) AS n FROM audit_log WHERE resource = 'api_tokens' AND action IN ('create_token', 'revoke_token')")
        .await;
    assert_eq!(logged, 2);

    // Another user cannot revoke it (nor see it); county users have no tokens.
    let other = common::browser::Browser::sign_in_as(&app, "other@pittsburghpa.gov", &[Role::Staff]).await;
    assert_eq!(other.post(&format!("/profile/tokens/{id}/revoke"), &[]).await.status, StatusCode::NOT_FOUND);
    let county = common::browser::Browser::sign_in_as(&app, "county@alleghenycounty.us", &[Role::County]).await;
    assert!(!county.get("/profile").await.body.contains("API access tokens"));
    let denied = county.post("/profile/tokens", &[("name", "x"), ("days", "30"), ("scope", "vendors:read")]).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}
on_both_backends!(personal_tokens_are_made_shown_once_used_and_revoked_on_the_profile);

/// An admin registers a client in the back-office and sees its secret once; rotating the secret
/// or deactivating the client stops its old credentials and tokens at once.
async fn admins_register_rotate_and_deactivate_clients_in_the_back_office(backend: Backend) {
    let Some(app) = TestApp::new(backend, &[]).await else { return };
    let admin = common::browser::Browser::sign_in_as(&app, "admin@pittsburghpa.gov", &[Role::Admin]).await;
    User::new("controller@pittsburghpa.gov").roles(&[Role::Admin]).insert(&app).await;

    // The new-client form offers no "Make a new secret": a new client always gets one.
    let blank = admin.get("/admin/api-clients/new").await;
    assert_eq!(blank.status, StatusCode::OK, "{}", blank.body);
    assert!(blank.body.contains("name=\"scopes\"") && !blank.body.contains("name=\"rotate\""), "{}", blank.body);

    let form = [
        ("name", "Financial system"),
        ("owner", "controller@pittsburghpa.gov"),
        ("scopes", "contracts:write"),
        ("scopes", "vendors:read"),
        ("active", "on"),
    ];
    let made = admin.post("/admin/api-clients/new", &form).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert_eq!(made.header("cache-control"), "private, no-store");
    let secret = shown_in(&made.body, "pcs_");
    let row = api_client::Entity::find()
        .filter(api_client::Column::Name.eq("Financial system"))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("the client");
    assert_ne!(row.secret_hash, secret, "only a hash is kept");
    assert_eq!(row.scopes, "contracts:write vendors:read");
    let token = token_for(&app, &row.client_id, &secret, None).await;
    assert_eq!(get_with(&app, "/api/v1/me", &token).await.status, StatusCode::OK);
    // Shown once: the edit form and the list never show it again.
    let edit = admin.get(&format!("/admin/api-clients/{}/edit", row.id)).await;
    assert!(!edit.body.contains(&secret) && edit.body.contains("Financial system"));
    assert!(edit.body.contains("name=\"rotate\""), "the edit form offers a new secret");
    assert!(!admin.get("/admin/api-clients/").await.body.contains(&secret));
    let logged = app.count("SELECT COUNT(*) AS n FROM audit_log WHERE resource = 'api-clients'").await;
    assert_eq!(logged, 1);
    let kept: String = {
        use sea_orm::ConnectionTrait;
        let db = &app.state.db;
        let sql = "SELECT after FROM audit_log WHERE resource = 'api-clients'";
        let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await;
        row.expect("query").expect("row").try_get("", "after").expect("after")
    };
    assert!(!kept.contains(&secret) && !kept.contains(&row.secret_hash), "the log keeps neither");

    // Rotated: a new secret shown, the old one and its token dead.
    let mut rotate = form.to_vec();
    rotate.push(("rotate", "on"));
    let rotated = admin.post(&format!("/admin/api-clients/{}/edit", row.id), &rotate).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let new_secret = shown_in(&rotated.body, "pcs_");
    assert_ne!(new_secret, secret);
    assert_eq!(get_with(&app, "/api/v1/me", &token).await.status, StatusCode::UNAUTHORIZED);
    let old = grant(&app, &[("grant_type", "client_credentials")], Some((&row.client_id, &secret))).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let token = token_for(&app, &row.client_id, &new_secret, None).await;

    // Deactivated: no tokens, and the live one stops.
    let inactive: Vec<_> = form.iter().filter(|(k, _)| *k != "active").copied().collect();
    let saved = admin.post(&format!("/admin/api-clients/{}/edit", row.id), &inactive).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "no new secret, back to the list");
    assert_eq!(get_with(&app, "/api/v1/me", &token).await.status, StatusCode::UNAUTHORIZED);
    let refused = grant(&app, &[("grant_type", "client_credentials")], Some((&row.client_id, &new_secret))).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    // Bad forms are refused with reasons; staff cannot reach the page.
    let bad = admin.post("/admin/api-clients/new", &[("name", ""), ("owner", "nobody@example.org")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Name the client.") && bad.body.contains("an active user"), "{}", bad.body);
    let staff = common::browser::Browser::sign_in_as(&app, "buyer@pittsburghpa.gov", &[Role::Staff]).await;
    assert_eq!(staff.get("/admin/api-clients/").await.status, StatusCode::FORBIDDEN);
}
on_both_backends!(admins_register_rotate_and_deactivate_clients_in_the_back_office);
