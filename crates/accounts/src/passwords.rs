//! Optional password sign-in (`PASSWORD_LOGIN=1`): argon2id hashes in `users.password_hash`,
//! set by the user on their profile after signing in by link.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::Utc;
use model::StampUpdate;
use model::entities::user;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::Expr};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 256;

/// argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a new password is refused; the message is shown on the form.
pub fn problem_with(password: &str, confirm: &str, email: &str) -> Option<&'static str> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        Some("Use at least 12 characters.")
    } else if length > MAX_LENGTH {
        Some("Use at most 256 characters.")
    } else if password != confirm {
        Some("The two passwords are not the same.")
    } else if email.split('@').next().is_some_and(|local| local.len() >= 4 && password.to_lowercase().contains(local)) {
        Some("Do not use your email address in your password.")
    } else {
        None
    }
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher().hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("hashing: {e}"))?.to_string())
}

pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash of nothing in particular, verified against when the email is unknown, so an answer
/// takes as long whether or not the account exists.
static DECOY: std::sync::LazyLock<Option<String>> = std::sync::LazyLock::new(|| hash("decoy password for timing").ok());

/// The active user with this email and password, if any. Runs the hash off the async threads.
pub async fn check(db: &impl ConnectionTrait, email: &str, password: &str) -> anyhow::Result<Option<i32>> {
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .filter(user::Column::Active.eq(true))
        .one(db)
        .await?;
    let (id, stored) = match found.and_then(|u| u.password_hash.map(|h| (u.id, h))) {
        Some((id, h)) => (Some(id), h),
        None => (None, DECOY.clone().unwrap_or_default()),
    };
    let password = password.to_owned();
    let ok = tokio_blocking(move || verify(&password, &stored)).await?;
    Ok(if ok { id } else { None })
}

async fn tokio_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    Ok(tokio::task::spawn_blocking(f).await?)
}

/// Sets user `user_id`'s password, with its entry in the audit log, in the caller's transaction.
/// Hash it first with [`hashed`], outside the transaction: hashing takes a while on purpose, and
/// a write transaction holds SQLite's lock.
pub async fn set(db: &impl ConnectionTrait, user_id: i32, email: &str, hashed: String) -> anyhow::Result<()> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hashed))
        .stamped(Some(user_id), Utc::now())
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await
        .map_err(|e: DbErr| anyhow::anyhow!(e))?;
    let entry = model::audit::Entry {
        actor: Some(user_id),
        action: "set_password",
        resource: "users",
        record_id: user_id,
        summary: email,
        before: None,
        after: Some("[]".to_owned()),
    };
    model::audit::write(db, entry).await?;
    Ok(())
}

/// `password` hashed for storing (argon2id, on a blocking thread).
pub async fn hashed(password: &str) -> anyhow::Result<String> {
    let owned = password.to_owned();
    tokio_blocking(move || hash(&owned)).await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterx", &h));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(problem_with("short", "short", "a@b.gov").is_some());
        assert!(problem_with("long enough pass", "long enough pasS", "a@b.gov").is_some());
        assert!(problem_with("jane.doe-is-great", "jane.doe-is-great", "jane.doe@b.gov").is_some());
        assert_eq!(problem_with("long enough pass", "long enough pass", "a@b.gov"), None);
    }
}
