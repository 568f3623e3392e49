//! Command-line interface: one binary, several roles and admin commands.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use platform::config::deploy_check::{self, Level};
use platform::config::{Config, load_dotenv};
use platform::logging::LogTarget;

use crate::{roles, version};

#[derive(Debug, Parser)]
#[command(
    name = "procure",
    version = version::VERSION,
    about = "Procure: an open-source purchasing suite for city governments (Scout, Beacon, Conductor).",
    long_about = "Procure: an open-source purchasing suite for city governments (Scout, Beacon, Conductor).\n\n\
                  With no command, runs every role (web, worker, scheduler) in one process on the \
                  configured backends: the zero-configuration way to try it. Configuration comes from \
                  the environment and ./.env; see docs/configuration.md."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP (pages, API, Dockerflow endpoints) on 0.0.0.0:$PORT.
    Web,
    /// Run background jobs (every email is sent from here).
    Worker,
    /// Enqueue the nightly and periodic jobs at their times.
    Scheduler,
    /// Serve the live pages' websocket (/ws) alone on 0.0.0.0:$WEBSOCKET_PORT (5001).
    Websocket,
    /// Apply pending database migrations (idempotent, non-interactive).
    Migrate,
    /// Validate the configuration; with --deploy, also run the production security checks.
    Check {
        /// Add the deploy checks (HSTS, https, secret key strength, email, ...).
        #[arg(long)]
        deploy: bool,
        /// Exit non-zero when a finding is at this level or above: info, warning or error.
        #[arg(long, default_value = "warning", value_parser = parse_level)]
        fail_level: Level,
    },
    /// Create a superadmin (or promote an existing user) and print a one-time sign-in link.
    Createsuperuser {
        /// Their email address; the seeds' SEEDEMAIL is used when this is left out.
        #[arg(long, env = "SEEDEMAIL")]
        email: String,
        /// Print no link (for unattended setup such as Heroku's postdeploy, whose log is kept);
        /// the user then asks for a link on the sign-in page.
        #[arg(long)]
        no_link: bool,
    },
    /// Import the original suite's data files: contracts (the City list), state, costars
    /// (COSTARS-<n>.csv files) or nigp (categories). Importing a file twice changes nothing.
    Import {
        /// contracts, state, costars or nigp.
        kind: String,
        /// One or more CSV files.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Load a made-up but realistic data set (contracts, companies, line items) to try
    /// Procure or to benchmark it; --scale sets how many contracts (10 line items each).
    Demo {
        #[arg(long, default_value_t = 200)]
        scale: u64,
    },
    /// Inspect the job queue; retry or discard failed jobs.
    Jobs {
        #[command(subcommand)]
        command: crate::jobs_cmd::JobsCommand,
    },
    /// Queue a job by name (for Heroku Scheduler or cron).
    EnqueueJob {
        /// The job's name, e.g. platform.probe.
        name: String,
        /// The job's JSON payload.
        #[arg(long)]
        payload: Option<String>,
    },
    /// Store a file in the configured file store (streamed; prints its key and SHA-256).
    StoreFile {
        /// The file to upload.
        path: std::path::PathBuf,
        /// Store it under public/ (served with long cache headers) instead of private/.
        #[arg(long)]
        public: bool,
        /// The area in its key, e.g. costars.
        #[arg(long, default_value = "uploads")]
        area: String,
    },
    /// Print the version; --json prints version.json (Dockerflow).
    Version {
        #[arg(long)]
        json: bool,
    },
}

fn parse_level(raw: &str) -> Result<Level, String> {
    Level::parse(raw).ok_or_else(|| format!("{raw:?} is not info, warning or error"))
}

/// Parses the arguments and runs the command. Usage errors exit 1, as the seeds' `run.sh` does.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            };
        }
    };
    if let Some(Command::Version { json }) = cli.command {
        if json {
            println!("{}", version::version_json());
        } else {
            println!("{}", version::one_line());
        }
        return ExitCode::SUCCESS;
    }
    let config = match load_config() {
        Ok(c) => Arc::new(c),
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(Command::Check { deploy, fail_level }) = cli.command {
        return check(&config, deploy, fail_level);
    }
    let target = match cli.command {
        None | Some(Command::Web | Command::Worker | Command::Scheduler | Command::Websocket) => LogTarget::Stdout,
        Some(_) => LogTarget::Stderr,
    };
    let release = format!("procure@{}+{}", version::VERSION, &version::COMMIT[..version::COMMIT.len().min(12)]);
    let _sentry = platform::error_reporting::init(&config, &release);
    let _log_guard = match platform::logging::init(&config.logging, target, _sentry.is_some()) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("cannot start logging: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = platform::telemetry::init(&config) {
        eprintln!("cannot start metrics: {e:#}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            None => Box::pin(roles::run_all(config)).await,
            Some(Command::Web) => roles::run_web(config).await,
            Some(Command::Worker) => roles::run_worker(config).await,
            Some(Command::Scheduler) => roles::run_scheduler(config).await,
            Some(Command::Websocket) => roles::run_websocket(config).await,
            Some(Command::Migrate) => roles::migrate(config).await,
            Some(Command::Jobs { command }) => crate::jobs_cmd::jobs(config, command).await,
            Some(Command::Import { kind, files }) => crate::import_cmd::import(config, &kind, &files).await,
            Some(Command::Demo { scale }) => crate::import_cmd::demo(config, scale).await,
            Some(Command::Createsuperuser { email, no_link }) => {
                crate::jobs_cmd::create_superuser(config, &email, no_link).await
            }
            Some(Command::StoreFile { path, public, area }) => {
                crate::jobs_cmd::store_file(config, &path, public, &area).await
            }
            Some(Command::EnqueueJob { name, payload }) => {
                crate::jobs_cmd::enqueue_job(config, &name, payload.as_deref()).await
            }
            Some(Command::Check { .. } | Command::Version { .. }) => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if target == LogTarget::Stdout {
                tracing::error!(error = format!("{e:#}"), "procure stopped with an error");
            }
            eprintln!("procure: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config() -> Result<Config, String> {
    load_dotenv().map_err(|e| e.to_string())?;
    Config::from_env().map_err(|e| e.to_string())
}

fn check(config: &Config, deploy: bool, fail_level: Level) -> ExitCode {
    println!("configuration is valid ({} mode: {})", config.env.as_str(), config.env_reason);
    for (name, backend) in config.backends_summary() {
        println!("  {name:<9} {backend}");
    }
    if !deploy {
        return ExitCode::SUCCESS;
    }
    let findings = deploy_check::run(config);
    let failing = findings.iter().filter(|f| f.level >= fail_level).count();
    println!("deploy checks: {} finding(s), {failing} at or above {fail_level}", findings.len());
    for f in &findings {
        println!("  {f}");
    }
    if failing > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
