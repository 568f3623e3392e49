//! Nightly: tell each follower when a contract they follow will expire within 30 days, and when
//! it expires. One email per follower, each kind at most once per contract and follower (a
//! `contract_notices` row, written in the same transaction as the email is queued).

use chrono::{Duration, NaiveDate, Utc};
use model::Stamp;
use model::entities::contract_notice;
use platform::jobs::{self, Job, JobContext};
use platform::mail::{Email, SendEmail, Sender};
use platform::templates::Templates;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Set, Statement, Value};
use serde::{Deserialize, Serialize};

use crate::contracts::EXPIRING_DAYS;
use crate::emails::Expiration;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExpirationNotices {}

impl Job for ExpirationNotices {
    const NAME: &'static str = "scout.expiration_notices";

    async fn run(self, ctx: &JobContext) -> anyhow::Result<()> {
        let config = &ctx.env.config;
        let today = config.site.today();
        let sent = send(&ctx.env.db, ctx.env.templates()?, config, today).await?;
        tracing::info!(sent, %today, "expiration notices queued");
        Ok(())
    }
}

/// Queues every notice due on `today`; returns how many.
pub async fn send(
    db: &DatabaseConnection,
    templates: &Templates,
    config: &platform::Config,
    today: NaiveDate,
) -> anyhow::Result<u64> {
    let backend = db.get_database_backend();
    let (p1, p2, p3) = if backend == DbBackend::Postgres { ("$1", "$2", "$3") } else { ("?", "?", "?") };
    let sql = format!(
        "SELECT f.contract_id, f.user_id, u.email, c.description, c.financial_id, c.expiration_date \
         FROM contract_followers f JOIN contracts c ON c.id = f.contract_id JOIN users u ON u.id = f.user_id \
         WHERE u.active AND c.is_visible AND NOT c.is_archived \
           AND c.expiration_date >= {p1} AND c.expiration_date <= {p2} \
           AND NOT EXISTS (SELECT 1 FROM contract_notices n \
                           WHERE n.contract_id = f.contract_id AND n.user_id = f.user_id AND n.kind = {p3}) \
         ORDER BY f.contract_id, f.user_id"
    );
    // Expiring: ends within the next 30 days. Expired: ends today (or ended in the last two days,
    // should a night have been missed).
    let windows = [
        ("expiring", today + Duration::days(1), today + Duration::days(EXPIRING_DAYS)),
        ("expired", today - Duration::days(2), today),
    ];
    let mut sent = 0;
    for (kind, from, to) in windows {
        let values: [Value; 3] = [from.into(), to.into(), kind.into()];
        let due = db.query_all_raw(Statement::from_sql_and_values(backend, &sql, values)).await?;
        for row in due {
            let contract_id: i32 = row.try_get_by_index(0)?;
            let user_id: i32 = row.try_get_by_index(1)?;
            let email: String = row.try_get_by_index(2)?;
            let description: Option<String> = row.try_get_by_index(3)?;
            let financial_id: Option<String> = row.try_get_by_index(4)?;
            let expiration: Option<NaiveDate> = row.try_get_by_index(5)?;
            let link = config.site.app_url.join(&format!("/scout/contracts/{contract_id}"))?;
            // The catch-up window can find a contract that ended a day or two ago.
            let ended_before_today = expiration.is_some_and(|d| d < today);
            let notice = Expiration {
                kind,
                description,
                financial_id,
                expiration: expiration.map(|d| d.format("%B %-d, %Y").to_string()),
                link: link.into(),
                ended_before_today,
            };
            let message = Email::compose(templates, &notice, Sender::Default, vec![email], config.site.host())?;
            let txn = platform::db::begin_write(db).await?;
            let now = Utc::now();
            let inserted = contract_notice::Entity::insert(contract_notice::ActiveModel {
                contract_id: Set(contract_id),
                user_id: Set(user_id),
                kind: Set(kind.to_owned()),
                ..Stamp::created(None, now)
            })
            .on_conflict(
                OnConflict::columns([
                    contract_notice::Column::ContractId,
                    contract_notice::Column::UserId,
                    contract_notice::Column::Kind,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
            // Another run got here first: its email is already queued.
            if inserted == 1 {
                jobs::enqueue(&txn, &SendEmail(message)).await?;
                sent += 1;
            }
            txn.commit().await?;
        }
    }
    Ok(sent)
}
