//! The four audit columns every table carries (`created_at`, `updated_at`, `created_by`,
//! `updated_by`; see `migrations::audited`) are set in one place: [`Stamp::stamp`].
//!
//! Invariant: a new record (its `created_at` not set yet) gets all four; a stored one keeps
//! its creation and gets the new `updated_*`. Writers call `stamp(actor, now)` on the active
//! model just before saving, or [`StampUpdate::stamped`] on a guarded `UPDATE … WHERE`; `actor`
//! is None for work nobody asked for (a nightly job, a vendor's own link).

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::UpdateMany;
use sea_orm::sea_query::Expr;

pub trait Stamp {
    /// Marks the record as changed by `actor` at `now` (and created then, if it is new).
    fn stamp(&mut self, actor: Option<i32>, now: DateTime<Utc>);

    /// A new record, stamped: the base of a struct literal,
    /// `vendor::ActiveModel { email: Set(e), ..Stamp::created(None, now) }`.
    fn created(actor: Option<i32>, now: DateTime<Utc>) -> Self
    where
        Self: Default,
    {
        Self::default().stamped(actor, now)
    }

    /// [`Stamp::stamp`] as a builder: `Model { .. }.stamped(actor, now).insert(db)`.
    fn stamped(mut self, actor: Option<i32>, now: DateTime<Utc>) -> Self
    where
        Self: Sized,
    {
        self.stamp(actor, now);
        self
    }
}

/// The same for an `UPDATE … WHERE` of many (or one guarded) rows: sets `updated_*`.
pub trait StampUpdate {
    fn stamped(self, actor: Option<i32>, now: DateTime<Utc>) -> Self;
}

/// Implements [`Stamp`] and [`StampUpdate`] for the given entity modules.
macro_rules! audited {
    ($($entity:ident),+ $(,)?) => {$(
        impl Stamp for crate::entities::$entity::ActiveModel {
            fn stamp(&mut self, actor: Option<i32>, now: DateTime<Utc>) {
                if matches!(self.created_at, NotSet) {
                    self.created_at = Set(now);
                    self.created_by = Set(actor);
                }
                self.updated_at = Set(now);
                self.updated_by = Set(actor);
            }
        }

        impl StampUpdate for UpdateMany<crate::entities::$entity::Entity> {
            fn stamped(self, actor: Option<i32>, now: DateTime<Utc>) -> Self {
                use crate::entities::$entity::Column;
                self.col_expr(Column::UpdatedAt, Expr::value(now)).col_expr(Column::UpdatedBy, Expr::value(actor))
            }
        }
    )+};
}

audited!(
    accepted_domain,
    api_client,
    api_token,
    app_status,
    audit_log,
    category,
    company,
    company_contact,
    contract,
    contract_company,
    contract_follower,
    contract_note,
    contract_notice,
    contract_property,
    contract_term,
    contract_type,
    department,
    feedback,
    flow,
    import,
    job_status,
    line_item,
    opportunity,
    opportunity_document,
    required_document,
    role,
    sign_in_token,
    stage,
    throttle_hit,
    user,
    user_role,
    vendor,
    work_item,
    work_item_activity,
    work_item_stage,
);

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use sea_orm::ActiveValue::Unchanged;

    use super::*;
    use crate::entities::department;

    #[test]
    fn a_new_record_gets_all_four_and_a_stored_one_keeps_its_creation() {
        let then = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().expect("date");
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).single().expect("date");
        let new = department::ActiveModel::default().stamped(Some(7), now);
        assert_eq!((new.created_at, new.created_by), (Set(now), Set(Some(7))));
        assert_eq!((new.updated_at, new.updated_by), (Set(now), Set(Some(7))));

        let stored = department::ActiveModel {
            created_at: Unchanged(then),
            created_by: Unchanged(Some(1)),
            ..Default::default()
        }
        .stamped(None, now);
        assert_eq!((stored.created_at, stored.created_by), (Unchanged(then), Unchanged(Some(1))));
        assert_eq!((stored.updated_at, stored.updated_by), (Set(now), Set(None)));
    }
}
