//! Logs to stdout in one of three formats: readable text (development), tracing's JSON, or
//! Mozilla's mozlog (Dockerflow's recommendation: one JSON object per line with `Timestamp`,
//! `Type`, `Logger`, `Hostname`, `EnvVersion`, `Severity`, `Pid`, `Fields`).
//!
//! An event's target becomes its mozlog `Type`, so the per-request line is logged with
//! `target: "request.summary"`.

use std::fmt::Write as _;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogConfig, LogFormat};

/// The mozlog `Logger` value and the prefix of our own targets.
pub const LOGGER: &str = "procure";
/// The target (and mozlog `Type`) of the one line logged per request.
pub const REQUEST_SUMMARY: &str = "request.summary";

/// Where log lines go: stdout for the long-running roles (Dockerflow's rule), stderr for admin
/// commands so their stdout stays clean for output a script reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    Stdout,
    Stderr,
}

/// Installs the global subscriber. Keep the guard alive for the life of the process: dropping
/// it flushes what is still buffered.
/// With `sentry`, ERROR events also go to Sentry (and lower ones become its breadcrumbs).
pub fn init(config: &LogConfig, target: LogTarget, sentry: bool) -> Result<WorkerGuard, String> {
    let filter = EnvFilter::try_new(&config.filter).map_err(|e| format!("RUST_LOG: {e}"))?;
    // Writes happen on a dedicated thread so a slow stdout never stalls a request; the queue
    // blocks rather than drops when full, so no line is lost.
    let (writer, guard) = match target {
        LogTarget::Stdout => NonBlockingBuilder::default().lossy(false).finish(std::io::stdout()),
        LogTarget::Stderr => NonBlockingBuilder::default().lossy(false).finish(std::io::stderr()),
    };
    // ERROR events become Sentry events; WARN and INFO the breadcrumbs that lead up to them.
    let to_sentry = sentry.then(|| {
        use sentry::integrations::tracing::{BreadcrumbLayer, ErrorLayer};
        use tracing_subscriber::filter::LevelFilter;
        ErrorLayer::new()
            .with_filter(LevelFilter::ERROR)
            .and_then(BreadcrumbLayer::new().with_filter(LevelFilter::INFO))
    });
    let registry = tracing_subscriber::registry().with(filter).with(to_sentry);
    let result = match config.format {
        LogFormat::Text => registry
            .with(tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(false).with_target(true))
            .try_init(),
        LogFormat::Json => {
            registry.with(tracing_subscriber::fmt::layer().json().flatten_event(true).with_writer(writer)).try_init()
        }
        LogFormat::MozLog => registry.with(MozLogLayer::new(writer)).try_init(),
    };
    result.map_err(|e| e.to_string())?;
    Ok(guard)
}

/// A `tracing` layer writing mozlog lines.
pub struct MozLogLayer<W> {
    writer: W,
    hostname: String,
    pid: u32,
}

impl<W> MozLogLayer<W> {
    pub fn new(writer: W) -> Self {
        MozLogLayer {
            writer,
            hostname: gethostname::gethostname().to_string_lossy().into_owned(),
            pid: std::process::id(),
        }
    }
}

/// syslog severities, as mozlog uses them.
fn severity(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

impl<S, W> Layer<S> for MozLogLayer<W>
where
    S: Subscriber,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = FieldsVisitor(Map::new());
        event.record(&mut fields);
        let meta = event.metadata();
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let line = serde_json::json!({
            "Timestamp": timestamp as u64,
            "Type": meta.target(),
            "Logger": LOGGER,
            "Hostname": self.hostname,
            "EnvVersion": "2.0",
            "Severity": severity(meta.level()),
            "Pid": self.pid,
            "Fields": Value::Object(fields.0),
        });
        let mut buf = line.to_string();
        buf.push('\n');
        // A failed write to stdout has nowhere better to be reported.
        let _ = self.writer.make_writer().write_all(buf.as_bytes());
    }
}

/// Collects an event's fields into a flat JSON object; the message becomes `msg`.
struct FieldsVisitor(Map<String, Value>);

impl FieldsVisitor {
    fn key(field: &Field) -> String {
        if field.name() == "message" { "msg".to_owned() } else { field.name().to_owned() }
    }
}

impl Visit for FieldsVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut s = String::new();
        let _ = write!(s, "{value:?}");
        self.0.insert(Self::key(field), Value::String(s));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(Self::key(field), Value::String(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(Self::key(field), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(Self::key(field), Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(Self::key(field), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(Self::key(field), Value::from(value));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn mozlog_lines_carry_every_envelope_field() {
        let buf = Buffer::default();
        let subscriber = tracing_subscriber::registry().with(MozLogLayer::new(buf.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "request.summary", method = "GET", path = "/", errno = 0u64, t = 3u64, rid = "abc", "");
            tracing::warn!(answer = 42, "something odd");
        });
        let out = String::from_utf8(buf.0.lock().expect("lock").clone()).expect("utf8");
        let lines: Vec<Value> =
            out.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
        assert_eq!(lines.len(), 2);
        let summary = &lines[0];
        for key in ["Timestamp", "Type", "Logger", "Hostname", "EnvVersion", "Severity", "Pid", "Fields"] {
            assert!(summary.get(key).is_some(), "missing {key}: {summary}");
        }
        assert_eq!(summary["Type"], "request.summary");
        assert_eq!(summary["EnvVersion"], "2.0");
        assert_eq!(summary["Severity"], 6);
        assert_eq!(summary["Fields"]["method"], "GET");
        assert_eq!(summary["Fields"]["t"], 3);
        assert!(summary["Timestamp"].as_u64().expect("ns") > 1_600_000_000_000_000_000);
        assert_eq!(lines[1]["Severity"], 4);
        assert_eq!(lines[1]["Fields"]["msg"], "something odd");
        assert_eq!(lines[1]["Fields"]["answer"], 42);
    }
}
