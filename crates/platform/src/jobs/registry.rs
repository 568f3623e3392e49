//! Which job types a process can run, by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::{Job, JobContext, JobSettings};

type Handler = Arc<dyn Fn(&str, JobContext) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

#[derive(Clone)]
pub(crate) struct Entry {
    pub settings: JobSettings,
    pub handler: Handler,
}

/// The registered job types. Each wing contributes its own with `register`.
#[derive(Clone, Default)]
pub struct Registry {
    entries: BTreeMap<&'static str, Entry>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `J`; registering a name twice keeps the last.
    pub fn register<J: Job>(&mut self) -> &mut Self {
        let handler: Handler = Arc::new(|payload: &str, ctx: JobContext| {
            let parsed = serde_json::from_str::<J>(payload);
            Box::pin(async move {
                let job = parsed.map_err(|e| anyhow::anyhow!("payload does not match {}: {e}", J::NAME))?;
                job.run(&ctx).await
            })
        });
        self.entries.insert(J::NAME, Entry { settings: J::settings(), handler });
        self
    }

    /// Adds every job type of `other`.
    pub fn extend(&mut self, other: &Registry) -> &mut Self {
        for (name, entry) in &other.entries {
            self.entries.insert(name, entry.clone());
        }
        self
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.keys().copied()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    pub fn settings(&self, name: &str) -> Option<JobSettings> {
        self.entries.get(name).map(|e| e.settings)
    }

    pub(crate) fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }
}
