//! Conductor's index keys (issue 15's speed): each work item carries the values the index sorts
//! and searches it by, so a page of the index is read along one index of `work_items` instead
//! of joining and sorting every item in progress:
//! - `renews_expiration`: the renewed contract's expiration date;
//! - `stage_entered_at`: when the current stage (its current row) was entered;
//! - `sort_description`, `sort_stage`, `sort_assignee`: the successor's description, the current
//!   stage's name and the assignee's address, lower-cased;
//! - `search_text`: both contracts' descriptions, their spec numbers and their controller
//!   numbers, lower-cased, one per line;
//! - `spec_number`, `renews_spec_number`: the first "Spec Number" property (in any case) of the
//!   successor and of the renewed contract, which each row of the index shows.
//!
//! Invariant: each is a function of rows elsewhere, recomputed by triggers in the database on
//! every change to those rows, whoever makes it (a page, the importer, the back-office, a
//! script). No code writes them, and the entity does not map them.
//! `tests/conductor_index_keys.rs` checks them against the joins after every kind of change, on
//! both databases.
// async_trait needs the trait's exact signature, whose `SchemaManager` lifetime is elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum WorkItems {
    Table,
    Id,
    Status,
    AssigneeId,
    ParentId,
    RenewsExpiration,
    StageEnteredAt,
    SortDescription,
    SortStage,
    SortAssignee,
    SearchText,
    SpecNumber,
    RenewsSpecNumber,
}

/// The keys the index sorts by, each with its index `(status, key, id)`
/// and, for "only mine", `(status, assignee_id, key, id)`.
const SORT_KEYS: [(WorkItems, &str, &str); 5] = [
    (WorkItems::RenewsExpiration, "idx_work_items_by_expiry", "idx_work_items_mine_by_expiry"),
    (WorkItems::StageEnteredAt, "idx_work_items_by_stage_entry", "idx_work_items_mine_by_stage_entry"),
    (WorkItems::SortDescription, "idx_work_items_by_description", "idx_work_items_mine_by_description"),
    (WorkItems::SortStage, "idx_work_items_by_stage", "idx_work_items_mine_by_stage"),
    (WorkItems::SortAssignee, "idx_work_items_by_assignee", "idx_work_items_mine_by_assignee"),
];

/// Which keys a change touches, so a trigger recomputes only those.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// Those read from the two contracts and their spec numbers.
    Contracts,
    /// Those read from the current stage and its row.
    Stage,
    /// The assignee's.
    Assignee,
    All,
}

/// The statement recomputing `keys` of the work items matching `which` (SQL over
/// `work_items`' columns, or a trigger's `NEW`/`OLD`).
fn refresh(backend: DbBackend, keys: Keys, which: &str) -> String {
    let (spec_numbers, newline) = match backend {
        DbBackend::Postgres => ("string_agg(cp.value, ' ' ORDER BY cp.id)", "chr(10)"),
        _ => ("group_concat(cp.value, ' ')", "char(10)"),
    };
    let spec_of = "SELECT cp.value FROM contract_properties cp WHERE lower(cp.key) = 'spec number' AND cp.contract_id";
    let contracts = format!(
        "renews_expiration = (SELECT p.expiration_date FROM contracts p WHERE p.id = work_items.parent_id), \
         sort_description = (SELECT lower(c.description) FROM contracts c WHERE c.id = work_items.contract_id), \
         spec_number = ({spec_of} = work_items.contract_id ORDER BY cp.id LIMIT 1), \
         renews_spec_number = ({spec_of} = work_items.parent_id ORDER BY cp.id LIMIT 1), \
         search_text = lower( \
           coalesce((SELECT c.description FROM contracts c WHERE c.id = work_items.contract_id), '') || {newline} || \
           coalesce((SELECT p.description FROM contracts p WHERE p.id = work_items.parent_id), '') || {newline} || \
           coalesce((SELECT {spec_numbers} FROM contract_properties cp \
              WHERE cp.contract_id IN (work_items.contract_id, work_items.parent_id) \
              AND lower(cp.key) = 'spec number'), '') || {newline} || \
           coalesce((SELECT c.financial_id FROM contracts c WHERE c.id = work_items.contract_id), '') || ' ' || \
           coalesce((SELECT p.financial_id FROM contracts p WHERE p.id = work_items.parent_id), ''))"
    );
    let stage = "stage_entered_at = (SELECT ws.entered_at FROM work_item_stages ws \
           WHERE ws.work_item_id = work_items.id AND ws.flow_id = work_items.flow_id \
           AND ws.stage_id = work_items.current_stage_id AND ws.superseded_at IS NULL), \
         sort_stage = (SELECT lower(s.name) FROM stages s WHERE s.id = work_items.current_stage_id)";
    let assignee = "sort_assignee = (SELECT lower(u.email) FROM users u WHERE u.id = work_items.assignee_id)";
    let set = match keys {
        Keys::Contracts => contracts,
        Keys::Stage => stage.to_owned(),
        Keys::Assignee => assignee.to_owned(),
        Keys::All => format!("{contracts}, {stage}, {assignee}"),
    };
    format!("UPDATE work_items SET {set} WHERE {which}")
}

/// What changes which keys of which items: a trigger on `table` after `event`, for the rows
/// `when` picks, recomputing `keys` of the items `which` names (SQL over `NEW`, and `OLD` for
/// deletions and updates). PostgreSQL wraps the statement in a function per trigger.
struct Trigger {
    name: &'static str,
    event: &'static str,
    table: &'static str,
    /// SQLite's `WHEN` and PostgreSQL's `WHEN (…)`: the rows that matter.
    when: Option<&'static str>,
    keys: Keys,
    which: &'static str,
}

const TRIGGERS: &[Trigger] = &[
    Trigger {
        name: "work_items_keys_insert",
        event: "INSERT",
        table: "work_items",
        when: None,
        keys: Keys::All,
        which: "id = NEW.id",
    },
    Trigger {
        name: "work_items_keys_contracts",
        event: "UPDATE OF contract_id, parent_id",
        table: "work_items",
        when: Some("OLD.contract_id IS DISTINCT FROM NEW.contract_id OR OLD.parent_id IS DISTINCT FROM NEW.parent_id"),
        keys: Keys::Contracts,
        which: "id = NEW.id",
    },
    Trigger {
        name: "work_items_keys_stage",
        event: "UPDATE OF flow_id, current_stage_id",
        table: "work_items",
        when: Some(
            "OLD.flow_id IS DISTINCT FROM NEW.flow_id OR OLD.current_stage_id IS DISTINCT FROM NEW.current_stage_id",
        ),
        keys: Keys::Stage,
        which: "id = NEW.id",
    },
    Trigger {
        name: "work_items_keys_assignee",
        event: "UPDATE OF assignee_id",
        table: "work_items",
        when: Some("OLD.assignee_id IS DISTINCT FROM NEW.assignee_id"),
        keys: Keys::Assignee,
        which: "id = NEW.id",
    },
    Trigger {
        name: "work_items_keys_stage_insert",
        event: "INSERT",
        table: "work_item_stages",
        when: None,
        keys: Keys::Stage,
        which: "id = NEW.work_item_id",
    },
    // A stage's exit changes no key: only its entry and its being superseded do.
    Trigger {
        name: "work_items_keys_stage_update",
        event: "UPDATE OF work_item_id, flow_id, stage_id, entered_at, superseded_at",
        table: "work_item_stages",
        when: Some(
            "OLD.work_item_id IS DISTINCT FROM NEW.work_item_id OR OLD.flow_id IS DISTINCT FROM NEW.flow_id \
             OR OLD.stage_id IS DISTINCT FROM NEW.stage_id OR OLD.entered_at IS DISTINCT FROM NEW.entered_at \
             OR OLD.superseded_at IS DISTINCT FROM NEW.superseded_at",
        ),
        keys: Keys::Stage,
        which: "id IN (NEW.work_item_id, OLD.work_item_id)",
    },
    Trigger {
        name: "work_items_keys_stage_delete",
        event: "DELETE",
        table: "work_item_stages",
        when: None,
        keys: Keys::Stage,
        which: "id = OLD.work_item_id",
    },
    Trigger {
        name: "work_items_keys_contract_update",
        event: "UPDATE OF description, expiration_date, financial_id",
        table: "contracts",
        when: Some(
            "OLD.description IS DISTINCT FROM NEW.description \
             OR OLD.expiration_date IS DISTINCT FROM NEW.expiration_date \
             OR OLD.financial_id IS DISTINCT FROM NEW.financial_id",
        ),
        keys: Keys::Contracts,
        which: "contract_id = NEW.id OR parent_id = NEW.id",
    },
    Trigger {
        name: "work_items_keys_property_insert",
        event: "INSERT",
        table: "contract_properties",
        when: Some("lower(NEW.key) = 'spec number'"),
        keys: Keys::Contracts,
        which: "contract_id = NEW.contract_id OR parent_id = NEW.contract_id",
    },
    Trigger {
        name: "work_items_keys_property_update",
        event: "UPDATE OF contract_id, key, value",
        table: "contract_properties",
        when: Some("lower(NEW.key) = 'spec number' OR lower(OLD.key) = 'spec number'"),
        keys: Keys::Contracts,
        which: "contract_id IN (NEW.contract_id, OLD.contract_id) OR parent_id IN (NEW.contract_id, OLD.contract_id)",
    },
    Trigger {
        name: "work_items_keys_property_delete",
        event: "DELETE",
        table: "contract_properties",
        when: Some("lower(OLD.key) = 'spec number'"),
        keys: Keys::Contracts,
        which: "contract_id = OLD.contract_id OR parent_id = OLD.contract_id",
    },
    Trigger {
        name: "work_items_keys_stage_name",
        event: "UPDATE OF name",
        table: "stages",
        when: None,
        keys: Keys::Stage,
        which: "current_stage_id = NEW.id",
    },
    Trigger {
        name: "work_items_keys_email",
        event: "UPDATE OF email",
        table: "users",
        when: None,
        keys: Keys::Assignee,
        which: "assignee_id = NEW.id",
    },
];

impl Trigger {
    /// The statements creating this trigger on `backend`.
    fn create(&self, backend: DbBackend) -> Vec<String> {
        let body = refresh(backend, self.keys, self.which);
        match backend {
            DbBackend::Postgres => {
                let when = self.when.map(|w| format!("WHEN ({w}) ")).unwrap_or_default();
                vec![
                    format!(
                        "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN {body}; RETURN NULL; END $fn$",
                        name = self.name,
                    ),
                    format!(
                        "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {when}EXECUTE FUNCTION {name}()",
                        name = self.name,
                        event = self.event,
                        table = self.table,
                    ),
                ]
            }
            _ => {
                let when = self.when.map(|w| format!("WHEN {w} ")).unwrap_or_default();
                vec![format!(
                    "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {when}BEGIN {body}; END",
                    name = self.name,
                    event = self.event,
                    table = self.table,
                )]
            }
        }
    }

    fn drop(&self, backend: DbBackend) -> Vec<String> {
        match backend {
            DbBackend::Postgres => vec![
                format!("DROP TRIGGER IF EXISTS {} ON {}", self.name, self.table),
                format!("DROP FUNCTION IF EXISTS {}()", self.name),
            ],
            _ => vec![format!("DROP TRIGGER IF EXISTS {}", self.name)],
        }
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        // SQLite adds one column per statement.
        let columns = [
            date_null(WorkItems::RenewsExpiration),
            timestamp_with_time_zone_null(WorkItems::StageEnteredAt),
            text_null(WorkItems::SortDescription),
            text_null(WorkItems::SortStage),
            text_null(WorkItems::SortAssignee),
            text_null(WorkItems::SearchText),
            text_null(WorkItems::SpecNumber),
            text_null(WorkItems::RenewsSpecNumber),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table(WorkItems::Table).add_column(&mut column).to_owned()).await?;
        }
        for (key, everyone, mine) in SORT_KEYS {
            let mut index = Index::create();
            index.name(everyone).table(WorkItems::Table).col(WorkItems::Status).col(key).col(WorkItems::Id);
            manager.create_index(index).await?;
            let mut index = Index::create();
            index
                .name(mine)
                .table(WorkItems::Table)
                .col(WorkItems::Status)
                .col(WorkItems::AssigneeId)
                .col(key)
                .col(WorkItems::Id);
            manager.create_index(index).await?;
        }
        // The triggers find an item by the contract it renews (the unique index on parent_id
        // covers live items only).
        manager
            .create_index(
                Index::create()
                    .name("idx_work_items_parent")
                    .table(WorkItems::Table)
                    .col(WorkItems::ParentId)
                    .to_owned(),
            )
            .await?;
        for trigger in TRIGGERS {
            for sql in trigger.create(backend) {
                db.execute_unprepared(&sql).await?;
            }
        }
        db.execute_unprepared(&refresh(backend, Keys::All, "1 = 1")).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for trigger in TRIGGERS {
            for sql in trigger.drop(backend) {
                db.execute_unprepared(&sql).await?;
            }
        }
        let names = SORT_KEYS.iter().flat_map(|(_, everyone, mine)| [*everyone, *mine]);
        for name in names.chain(["idx_work_items_parent"]) {
            manager.drop_index(Index::drop().name(name).table(WorkItems::Table).to_owned()).await?;
        }
        for column in [
            WorkItems::RenewsExpiration,
            WorkItems::StageEnteredAt,
            WorkItems::SortDescription,
            WorkItems::SortStage,
            WorkItems::SortAssignee,
            WorkItems::SearchText,
            WorkItems::SpecNumber,
            WorkItems::RenewsSpecNumber,
        ] {
            manager.alter_table(Table::alter().table(WorkItems::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
