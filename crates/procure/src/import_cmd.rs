//! `procure import KIND FILE...`: the original's data files, with a progress bar on a terminal
//! and a summary per file.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use platform::Config;
use scout::import::{self, Actor, Kind, Report};

use crate::app;

pub async fn import(config: Arc<Config>, kind: &str, files: &[PathBuf]) -> anyhow::Result<()> {
    let Some(kind) = Kind::parse(kind) else {
        anyhow::bail!("no importer called {kind:?}; choose contracts, state, costars or nigp");
    };
    anyhow::ensure!(!files.is_empty(), "name at least one file to import");
    let db = app::open_database(&config).await?;
    let mut skipped = 0;
    for path in files {
        let bytes = tokio::fs::read(path).await.with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        let bar = progress_bar(&name);
        let report = import::import(&db, Actor(None), kind, &name, &bytes, &|done, total| {
            if let Some(bar) = &bar {
                bar.set_length(total);
                bar.set_position(done);
            }
        })
        .await;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let report = report?;
        print_report(&path.display().to_string(), &report);
        skipped += report.skipped;
    }
    db.close().await?;
    anyhow::ensure!(skipped == 0, "{skipped} row(s) were not imported (listed above); the other rows were");
    Ok(())
}

fn progress_bar(name: &str) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_message(name.to_owned());
    Some(bar)
}

fn print_report(path: &str, r: &Report) {
    for p in &r.problems {
        let what = if p.skipped { "not imported" } else { "warning" };
        eprintln!("{path}:{}: {what}: {}", p.line, p.reason);
    }
    println!(
        "{path}: {} rows: {} created, {} updated, {} unchanged, {} not imported",
        r.rows, r.created, r.updated, r.unchanged, r.skipped
    );
}

/// `procure demo --scale N`.
pub async fn demo(config: Arc<Config>, scale: u64) -> anyhow::Result<()> {
    let db = app::open_database(&config).await?;
    for load in app::wings().into_iter().filter_map(|w| w.demo) {
        println!("{}", load(&db, &config, scale).await?);
    }
    db.close().await?;
    Ok(())
}
