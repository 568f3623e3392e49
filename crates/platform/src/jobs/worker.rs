//! The worker: claims jobs (by polling the table, or as a broker delivers their ids), runs each
//! in its own task with a timeout, and records the outcome. On shutdown it stops claiming,
//! lets running jobs finish within the grace period, and gives back the ones that could not.
//!
//! Claims are short and renewed: a job is claimed for its lease (at most
//! [`WorkerOptions::lease`], 30 s by default, however long the job's timeout), and a heartbeat
//! renews the claims of every job the worker runs every third of that. A worker that dies
//! stops renewing, so its jobs are taken over within one lease, not after their whole timeout.
//! A job whose claim the heartbeat finds taken over (the worker could not renew it in time,
//! e.g. the database was unreachable) is stopped here, so two workers do not run it at once;
//! and the outcome of a run is recorded only on a row the worker still holds.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::broker::{Broker, Delivery};
use super::queue::{self, ClaimedJob};
use super::registry::Registry;
use super::{JobContext, JobEnv, relay};

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Names this worker in `locked_by` and in logs.
    pub id: String,
    /// How often an idle worker looks for work (table mode), or the relay for jobs to publish.
    pub poll_interval: Duration,
    /// Most jobs claimed in one statement.
    pub batch: usize,
    /// After shutdown begins, how long running jobs get to finish.
    pub shutdown_grace: Duration,
    /// The longest claim on a job; running jobs' claims are renewed every third of it (see the
    /// module docs).
    pub lease: Duration,
}

/// [`WorkerOptions::lease`] unless configured (`JOB_LEASE`).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

impl WorkerOptions {
    pub fn new(shutdown_grace: Duration) -> Self {
        WorkerOptions {
            id: format!("{}:{}", gethostname::gethostname().to_string_lossy(), std::process::id()),
            poll_interval: Duration::from_millis(250),
            batch: 32,
            shutdown_grace,
            lease: DEFAULT_LEASE,
        }
    }
}

pub struct Worker {
    env: JobEnv,
    registry: Registry,
    options: WorkerOptions,
    broker: Option<Broker>,
}

/// What every job task of one worker shares.
#[derive(Clone)]
struct Shared {
    env: JobEnv,
    registry: Registry,
    worker: Arc<str>,
    /// The jobs this process holds: their claims are renewed while they run, and the ones cut
    /// off at shutdown are given back.
    held: Arc<Mutex<HashMap<i64, Held>>>,
    /// The longest claim (`WorkerOptions::lease`).
    max_lease: Duration,
    /// Completed job ids, deleted in batches.
    done: mpsc::UnboundedSender<i64>,
    /// Signalled when a job finishes and frees a slot.
    freed: Arc<Notify>,
    /// Cancelled when the grace period is over: running jobs stop where they are.
    hard_stop: CancellationToken,
    tracker: TaskTracker,
}

/// A job this worker runs.
struct Held {
    /// Its claim's length, renewed by the heartbeat.
    lease: Duration,
    /// Cancelled when another worker has taken the job over.
    lost: CancellationToken,
}

impl Shared {
    /// How long a claim on a job of these settings lasts: long enough for a short job's whole
    /// run, at most the worker's lease (then renewed while the job runs).
    fn lease(&self, settings: &super::JobSettings) -> Duration {
        settings.lease().min(self.max_lease)
    }

    /// Runs `job` in a tracked task holding `permit`; acknowledges `delivery` afterwards.
    fn spawn(&self, job: ClaimedJob, permit: tokio::sync::OwnedSemaphorePermit, delivery: Option<Delivery>) {
        let lease = self.registry.settings(&job.job_type).map_or(self.max_lease, |s| self.lease(&s));
        let lost = CancellationToken::new();
        if let Ok(mut h) = self.held.lock() {
            h.insert(job.id, Held { lease, lost: lost.clone() });
        }
        let shared = self.clone();
        self.tracker.spawn(async move {
            run_one(&shared, job, lost).await;
            drop(permit);
            shared.freed.notify_one();
            if let Some(d) = delivery
                && let Err(e) = d.ack().await
            {
                tracing::warn!(error = %e, "cannot acknowledge a job message; it may be delivered again");
            }
        });
    }
}

impl Worker {
    pub fn new(env: JobEnv, registry: Registry, options: WorkerOptions) -> Self {
        Worker { env, registry, options, broker: None }
    }

    /// Consumes job ids from `broker` instead of polling the table, and relays committed jobs
    /// to it.
    pub fn with_broker(mut self, broker: Broker) -> Self {
        self.broker = Some(broker);
        self
    }

    /// Runs until `shutdown` is cancelled, then drains (see the module docs).
    pub async fn run(self, shutdown: CancellationToken) {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let worker_id: Arc<str> = self.options.id.clone().into();
        let completions = tokio::spawn(delete_completed(self.env.db.clone(), worker_id.clone(), done_rx));
        let shared = Shared {
            env: self.env.clone(),
            registry: self.registry.clone(),
            worker: worker_id,
            held: Arc::default(),
            max_lease: self.options.lease.max(Duration::from_millis(30)),
            done: done_tx,
            freed: Arc::new(Notify::new()),
            hard_stop: CancellationToken::new(),
            tracker: TaskTracker::new(),
        };
        let slots: BTreeMap<&'static str, Arc<Semaphore>> = self
            .registry
            .names()
            .map(|name| {
                let n = self.registry.settings(name).map_or(1, |s| s.concurrency.max(1));
                (name, Arc::new(Semaphore::new(n)))
            })
            .collect();
        tracing::info!(
            worker = %shared.worker,
            source = self.broker.as_ref().map_or("database", Broker::kind),
            types = ?slots.keys().collect::<Vec<_>>(),
            "worker started"
        );

        let sampler = tokio::spawn(sample_queue_depth(self.env.db.clone(), shutdown.clone()));
        // Renews claims until every job has finished or been cut off, after `drain`'s wait.
        let heartbeat_stop = CancellationToken::new();
        let heartbeat = tokio::spawn(heartbeat(shared.clone(), heartbeat_stop.clone()));
        match &self.broker {
            None => self.poll_table(&shared, &slots, &shutdown).await,
            Some(broker) => {
                let relay = tokio::spawn(relay::run(
                    self.env.db.clone(),
                    broker.clone(),
                    self.options.poll_interval,
                    shutdown.clone(),
                ));
                let consumers: Vec<_> = slots
                    .iter()
                    .map(|(&name, sem)| {
                        tokio::spawn(consume(shared.clone(), broker.clone(), name, sem.clone(), shutdown.clone()))
                    })
                    .collect();
                // Each stops at its next check of `shutdown`, and every broker exchange is bounded
                // (`AmqpLink::bounded`); still, a stop never waits on the broker for longer than
                // the grace period.
                let aborts: Vec<_> =
                    consumers.iter().map(JoinHandle::abort_handle).chain([relay.abort_handle()]).collect();
                let stopped = async {
                    for c in consumers {
                        let _ = c.await;
                    }
                    let _ = relay.await;
                };
                tokio::pin!(stopped);
                tokio::select! {
                    () = &mut stopped => {}
                    () = async { shutdown.cancelled().await; tokio::time::sleep(self.options.shutdown_grace).await } => {
                        tracing::warn!("the broker consumers did not stop within the grace period; stopping them");
                        aborts.iter().for_each(tokio::task::AbortHandle::abort);
                        stopped.await;
                    }
                }
            }
        }

        self.drain(&shared, heartbeat_stop, heartbeat).await;
        let _ = sampler.await;
        drop(shared);
        let _ = completions.await;
        tracing::info!(worker = %self.options.id, "worker stopped");
    }

    /// Table mode: claim what there is room for, type by type; wait when there is nothing.
    async fn poll_table(
        &self,
        shared: &Shared,
        slots: &BTreeMap<&'static str, Arc<Semaphore>>,
        shutdown: &CancellationToken,
    ) {
        while !shutdown.is_cancelled() {
            let mut claimed_any = false;
            let mut had_error = false;
            for (&name, sem) in slots {
                let room = sem.available_permits().min(self.options.batch);
                let Some(settings) = self.registry.settings(name) else { continue };
                if room == 0 {
                    continue;
                }
                match queue::claim(&self.env.db, name, room, &shared.worker, shared.lease(&settings)).await {
                    Ok(jobs) => {
                        for job in jobs {
                            claimed_any = true;
                            match sem.clone().try_acquire_owned() {
                                Ok(permit) => shared.spawn(job, permit, None),
                                // Cannot happen (no more claimed than free permits); give it back.
                                Err(_) => give_back(&self.env.db, job.id, &shared.worker).await,
                            }
                        }
                    }
                    Err(e) => {
                        had_error = true;
                        tracing::warn!(job_type = name, error = %e, "cannot claim jobs; will retry");
                    }
                }
            }
            if !claimed_any {
                let wait = if had_error { self.options.poll_interval * 4 } else { self.options.poll_interval };
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    () = tokio::time::sleep(wait) => {}
                    () = shared.freed.notified() => {}
                }
            }
        }
    }

    async fn drain(&self, shared: &Shared, heartbeat_stop: CancellationToken, heartbeat: JoinHandle<()>) {
        shared.tracker.close();
        if tokio::time::timeout(self.options.shutdown_grace, shared.tracker.wait()).await.is_err() {
            shared.hard_stop.cancel();
            shared.tracker.wait().await;
        }
        heartbeat_stop.cancel();
        let _ = heartbeat.await;
        let cut_off: Vec<i64> = shared.held.lock().map(|h| h.keys().copied().collect()).unwrap_or_default();
        for id in cut_off {
            give_back(&self.env.db, id, &shared.worker).await;
        }
    }
}

/// Every third of the lease, renews the claims of the jobs this worker runs; stops the ones
/// another worker has taken over meanwhile.
async fn heartbeat(shared: Shared, stop: CancellationToken) {
    let every = shared.max_lease / 3;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let mut by_lease: BTreeMap<Duration, Vec<i64>> = BTreeMap::new();
        if let Ok(held) = shared.held.lock() {
            for (&id, h) in held.iter() {
                by_lease.entry(h.lease).or_default().push(id);
            }
        }
        for (lease, ids) in by_lease {
            match queue::renew(&shared.env.db, &ids, &shared.worker, lease).await {
                Ok(still_ours) => {
                    let Ok(held) = shared.held.lock() else { continue };
                    for id in ids.iter().filter(|id| !still_ours.contains(id)) {
                        if let Some(h) = held.get(id) {
                            tracing::warn!(job_id = id, "another worker took the job over; stopping it here");
                            h.lost.cancel();
                        }
                    }
                }
                // Retried at the next beat; a claim left to expire is taken over (at-least-once).
                Err(e) => tracing::warn!(jobs = ids.len(), error = %e, "cannot renew the claims of running jobs"),
            }
        }
    }
}

async fn give_back(db: &DatabaseConnection, id: i64, worker: &str) {
    match queue::release(db, id, worker).await {
        Ok(()) => tracing::warn!(job_id = id, "job given back unfinished; another worker will run it"),
        Err(e) => {
            tracing::error!(job_id = id, error = %e, "cannot give a job back; it runs again when its lease expires")
        }
    }
}

/// Broker mode, one job type: take a slot, wait for a message, claim its job, run it.
async fn consume(shared: Shared, broker: Broker, name: &'static str, sem: Arc<Semaphore>, shutdown: CancellationToken) {
    let Some(settings) = shared.registry.settings(name) else { return };
    let prefetch = u16::try_from(settings.concurrency.max(1)).unwrap_or(u16::MAX);
    let mut consumer = None;
    while !shutdown.is_cancelled() {
        let permit = tokio::select! {
            () = shutdown.cancelled() => break,
            permit = sem.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
        };
        if consumer.is_none() {
            match broker.consume(name, prefetch).await {
                Ok(c) => consumer = Some(c),
                Err(e) => {
                    tracing::warn!(job_type = name, error = %e, "cannot consume from the broker; will retry");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            }
        }
        let Some(c) = consumer.as_mut() else { continue };
        let message = tokio::select! {
            () = shutdown.cancelled() => break,
            message = c.next() => message,
        };
        let delivery = match message {
            Ok(Some(d)) => d,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(job_type = name, error = %e, "lost the broker consumer; reconnecting");
                consumer = None;
                continue;
            }
        };
        let Some(id) = delivery.id else {
            tracing::warn!(job_type = name, "dropping a message that is not a job id");
            let _ = delivery.ack().await;
            continue;
        };
        match queue::claim_one(&shared.env.db, id, &shared.worker, shared.lease(&settings)).await {
            Ok(Some(job)) => shared.spawn(job, permit, Some(delivery)),
            Ok(None) => {
                // Done already, waiting for a retry, or another worker's: the table decides.
                let _ = delivery.ack().await;
            }
            Err(e) => {
                tracing::warn!(job_id = id, error = %e, "cannot claim a delivered job; the relay will publish it again");
                let _ = delivery.ack().await;
            }
        }
    }
}

/// Runs one job and records the outcome. A panic counts as a failure; the hard stop leaves the
/// job held, to be given back; a job taken over by another worker (`lost`) is left to it.
async fn run_one(shared: &Shared, job: ClaimedJob, lost: CancellationToken) {
    let db = &shared.env.db;
    let Some(entry) = shared.registry.entry(&job.job_type).cloned() else { return };
    let settings = entry.settings;
    let started = Instant::now();
    if let Some(slot) = job.slot {
        let note = format!("attempt {} of {} on {}", job.attempts, job.max_attempts, shared.worker);
        report(queue::report_slot(db, slot, "started", Some(&note)).await, job.id);
    }
    let ctx = JobContext {
        env: shared.env.clone(),
        job_id: job.id,
        attempt: u32::try_from(job.attempts).unwrap_or(1),
        worker: shared.worker.clone(),
    };
    let handler = entry.handler.clone();
    let payload = job.payload.clone();
    let run = tokio::spawn(async move { handler(&payload, ctx).await });
    // Whatever ends this function early, the job's own task stops with it.
    let abort = AbortOnDrop(run.abort_handle());
    let outcome = tokio::select! {
        () = shared.hard_stop.cancelled() => return,
        () = lost.cancelled() => {
            if let Ok(mut h) = shared.held.lock() {
                h.remove(&job.id);
            }
            return;
        }
        result = tokio::time::timeout(settings.timeout, run) => match result {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(format!("{e:#}")),
            Ok(Err(join)) if join.is_panic() => Err(format!("panicked: {}", panic_message(join))),
            Ok(Err(join)) => Err(format!("cancelled: {join}")),
            Err(_) => {
                abort.0.abort();
                Err(format!("timed out after {} s", settings.timeout.as_secs_f32()))
            }
        },
    };
    // No more renewals: the outcome is recorded now, or the claim expires (at-least-once).
    if let Ok(mut h) = shared.held.lock() {
        h.remove(&job.id);
    }
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let outcome_tag = if outcome.is_ok() { "success" } else { "failure" };
    crate::telemetry::record_task(&job.job_type, outcome_tag, started.elapsed().as_secs_f64());
    // The job may have committed events: relay them now rather than at the next poll.
    crate::events::nudge();
    match &outcome {
        Ok(()) => {
            tracing::debug!(job_id = job.id, job_type = %job.job_type, elapsed_ms, "job done");
            if let Some(slot) = job.slot {
                let note = format!("done in {elapsed_ms} ms on attempt {}", job.attempts);
                report(queue::report_slot(db, slot, "success", Some(&note)).await, job.id);
            }
            // Deleted in a batch by `delete_completed`; if that never happens, the lease
            // expires and the job runs again (at-least-once).
            if shared.done.send(job.id).is_err() {
                tracing::warn!(job_id = job.id, "completion queue closed; the job may run again");
            }
        }
        Err(error) => match queue::fail(db, &job, &shared.worker, error, &settings).await {
            Ok(None) => {
                tracing::warn!(job_id = job.id, job_type = %job.job_type, error, "job failed after another worker took it over; its run decides");
            }
            Ok(Some(true)) => {
                tracing::warn!(job_id = job.id, job_type = %job.job_type, attempt = job.attempts, error, "job failed; will retry");
                if let Some(slot) = job.slot {
                    let note = format!("attempt {} failed, will retry: {error}", job.attempts);
                    report(queue::report_slot(db, slot, "started", Some(&note)).await, job.id);
                }
            }
            Ok(Some(false)) => {
                tracing::error!(job_id = job.id, job_type = %job.job_type, attempts = job.attempts, error, "job failed for good");
                if let Some(slot) = job.slot {
                    report(queue::report_slot(db, slot, "failed", Some(error)).await, job.id);
                }
            }
            // The lease runs out and the job runs again: at-least-once.
            Err(e) => tracing::error!(job_id = job.id, error = %e, "cannot record the job's failure"),
        },
    }
}

/// Reports how many jobs wait or run, every ten seconds.
async fn sample_queue_depth(db: DatabaseConnection, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        if let Ok(depth) = queue::queue_depth(&db).await {
            crate::telemetry::record_queue_depth(depth);
        }
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = tokio::time::sleep(Duration::from_secs(10)) => {}
        }
    }
}

/// Deletes completed jobs in batches: whatever finished while the previous delete ran goes in
/// the next one, so a busy worker issues one statement per batch rather than one per job.
async fn delete_completed(db: DatabaseConnection, worker: Arc<str>, mut done: mpsc::UnboundedReceiver<i64>) {
    const MAX_BATCH: usize = 256;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(id) = done.recv().await {
        batch.push(id);
        while batch.len() < MAX_BATCH {
            match done.try_recv() {
                Ok(id) => batch.push(id),
                Err(_) => break,
            }
        }
        if let Err(e) = queue::complete(&db, &batch, &worker).await {
            tracing::error!(jobs = batch.len(), error = %e, "cannot delete completed jobs; they will run again");
        }
        batch.clear();
    }
}

fn report(result: Result<(), sea_orm::DbErr>, job_id: i64) {
    if let Err(e) = result {
        tracing::warn!(job_id, error = %e, "cannot report the scheduled run's status");
    }
}

fn panic_message(join: tokio::task::JoinError) -> String {
    let payload = join.into_panic();
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(no message)".to_owned())
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
