//! `procure jobs …` and `procure enqueue-job`: the operator's view of the queue.

use std::sync::Arc;

use anyhow::Context as _;
use clap::Subcommand;
use platform::Config;
use platform::jobs;

use crate::app;

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs in a state (failed by default), oldest first.
    List {
        /// queued, running or failed.
        #[arg(long, default_value = "failed", value_parser = ["queued", "running", "failed"])]
        status: String,
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Put a failed job back in the queue with fresh attempts.
    Retry { id: i64 },
    /// Delete a failed job.
    Discard { id: i64 },
}

pub async fn jobs(config: Arc<Config>, command: JobsCommand) -> anyhow::Result<()> {
    let db = app::open_database(&config).await?;
    match command {
        JobsCommand::List { status, limit, json } => {
            let rows = jobs::list(&db, &status, limit).await?;
            if json {
                for row in &rows {
                    println!("{}", serde_json::to_string(row)?);
                }
            } else if rows.is_empty() {
                println!("no {status} jobs");
            } else {
                println!("{:>8}  {:<28} {:>8}  last error", "id", "type", "attempts");
                for r in &rows {
                    let error = r.last_error.as_deref().unwrap_or("").lines().next().unwrap_or("");
                    println!("{:>8}  {:<28} {:>4}/{:<3}  {error}", r.id, r.job_type, r.attempts, r.max_attempts);
                }
            }
        }
        JobsCommand::Retry { id } => {
            jobs::retry(&db, id).await?;
            println!("job {id} queued again");
        }
        JobsCommand::Discard { id } => {
            jobs::discard(&db, id).await?;
            println!("job {id} discarded");
        }
    }
    db.close().await?;
    Ok(())
}

/// Queues one job by name, for an external scheduler (Heroku Scheduler, cron). A periodic job's
/// name takes today's slot, so it runs once a day however often it is called.
pub async fn enqueue_job(config: Arc<Config>, name: &str, payload: Option<&str>) -> anyhow::Result<()> {
    let registry = app::jobs();
    if let Some(periodic) = app::schedule(&config).get(name).cloned() {
        anyhow::ensure!(payload.is_none(), "{name} is a scheduled job; its payload is fixed");
        let today = config.site.today();
        let db = app::open_database(&config).await?;
        match platform::jobs::scheduler::claim_slot(&db, &registry, &periodic, today).await? {
            Some(id) => println!("queued {name} for {today} as job {id}"),
            None => println!("{name} for {today} was already queued; nothing to do"),
        }
        db.close().await?;
        return Ok(());
    }
    let Some(settings) = registry.settings(name) else {
        let mut known: Vec<_> = registry.names().collect();
        let schedule = app::schedule(&config);
        known.extend(schedule.entries().iter().map(|p| p.name));
        anyhow::bail!("no job named {name:?}; known jobs: {}", known.join(", "));
    };
    let payload: serde_json::Value =
        serde_json::from_str(payload.unwrap_or("{}")).context("--payload must be a JSON object")?;
    let db = app::open_database(&config).await?;
    let id = jobs::enqueue_named(&db, name, &payload, settings).await?;
    println!("queued {name} as job {id}");
    db.close().await?;
    Ok(())
}

/// `procure store-file PATH`: streams a file from disk into the file store, as uploads do.
pub async fn store_file(config: Arc<Config>, path: &std::path::Path, public: bool, area: &str) -> anyhow::Result<()> {
    use platform::storage::{Storage, Visibility};
    let secret = platform::secrets::app_secret(&config)?;
    let storage = Storage::from_config(&config, &secret)?;
    let file = tokio::fs::File::open(path).await.with_context(|| format!("opening {}", path.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let visibility = if public { Visibility::Public } else { Visibility::Private };
    let key = Storage::new_key(visibility, area, &name);
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
    let stored = storage.put_stream(&key, stream, u64::MAX, None).await?;
    println!("{} {} bytes {} sha256:{}", stored.key, stored.size, stored.content_type, stored.sha256);
    Ok(())
}

/// `procure createsuperuser --email E`: the link goes to stdout, for the operator to open.
pub async fn create_superuser(config: Arc<Config>, email: &str, no_link: bool) -> anyhow::Result<()> {
    let db = app::open_database(&config).await?;
    let (link, created) = accounts::create_superuser(&db, &config, email, !no_link).await?;
    let verb = if created { "created" } else { "promoted" };
    let email = email.trim().to_lowercase();
    match link {
        Some(link) => {
            eprintln!("{verb} superadmin {email}; this link signs them in once, within 15 minutes:");
            println!("{link}");
        }
        None => eprintln!("{verb} superadmin {email}; they sign in at {}sign-in", config.site.app_url),
    }
    db.close().await?;
    Ok(())
}
