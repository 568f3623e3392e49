//! The job queue against real databases and real worker processes: transactional enqueue,
//! retries, a worker killed mid-job, graceful shutdown, and exactly-once effects at volume.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Backend, Deployment, Queue, signal};
use platform::jobs::broker::Broker;
use platform::jobs::{self, JobEnv, ProbeJob, Worker, WorkerOptions};
use sea_orm::TransactionTrait;

fn probe(token: &str) -> ProbeJob {
    ProbeJob { token: token.to_owned(), ..ProbeJob::default() }
}

/// A worker running inside the test process (on the deployment's broker, if it has one),
/// stopped when the returned token is cancelled.
async fn start_worker(d: &Deployment) -> (tokio_util::sync::CancellationToken, tokio::task::JoinHandle<()>) {
    let config = Arc::new(d.config());
    let env = JobEnv::from_config(d.db.clone(), config.clone()).expect("job services");
    let mut options = WorkerOptions::new(Duration::from_secs(5));
    options.poll_interval = Duration::from_millis(20);
    let token = tokio_util::sync::CancellationToken::new();
    let mut worker = Worker::new(env, procure::app::jobs(), options);
    if let Some(b) = &config.broker {
        worker = worker.with_broker(Broker::connect(b, &b.prefix).await.expect("connect to the broker"));
    }
    let handle = tokio::spawn(worker.run(token.clone()));
    (token, handle)
}

async fn a_rolled_back_enqueue_never_runs(queue: Queue) {
    let Some(d) = Deployment::for_queue(queue, &[]).await else { return };
    let txn = d.db.begin().await.expect("begin");
    jobs::enqueue(&txn, &probe("rolled-back")).await.expect("enqueue");
    txn.rollback().await.expect("rollback");
    let txn = d.db.begin().await.expect("begin");
    jobs::enqueue(&txn, &probe("committed")).await.expect("enqueue");
    txn.commit().await.expect("commit");

    let (stop, handle) = start_worker(&d).await;
    let ran = d
        .wait_for_count("SELECT COUNT(*) AS n FROM job_probes WHERE token = 'committed'", 1, Duration::from_secs(10))
        .await;
    stop.cancel();
    handle.await.expect("worker");
    assert_eq!(ran, 1, "the committed job ran");
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM job_probes WHERE token = 'rolled-back'").await, 0);
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM jobs").await, 0, "nothing left in the queue");
}
on_every_queue!(a_rolled_back_enqueue_never_runs);

async fn a_failing_job_retries_then_is_kept_as_failed(queue: Queue) {
    let Some(d) = Deployment::for_queue(queue, &[]).await else { return };
    let id = jobs::enqueue(&d.db, &ProbeJob { token: "doomed".into(), fail_first: 99, ..ProbeJob::default() })
        .await
        .expect("enqueue");
    let (stop, handle) = start_worker(&d).await;
    // 4 attempts with 200, 400, 800 ms between them.
    let failed =
        d.wait_for_count("SELECT COUNT(*) AS n FROM jobs WHERE status = 'failed'", 1, Duration::from_secs(15)).await;
    stop.cancel();
    handle.await.expect("worker");
    assert_eq!(failed, 1);
    let rows = jobs::list(&d.db, "failed", 10).await.expect("list");
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].id, rows[0].attempts, rows[0].max_attempts), (id, 4, 4));
    assert!(rows[0].last_error.as_deref().is_some_and(|e| e.contains("failing attempt 4 on purpose")), "{rows:?}");

    jobs::retry(&d.db, id).await.expect("retry");
    assert_eq!(jobs::list(&d.db, "queued", 10).await.expect("list")[0].attempts, 0);
    assert!(jobs::retry(&d.db, id).await.is_err(), "only failed jobs can be retried");
    sea_orm::ConnectionTrait::execute_unprepared(&d.db, "UPDATE jobs SET status = 'failed'").await.expect("update");
    jobs::discard(&d.db, id).await.expect("discard");
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM jobs").await, 0);
}
on_every_queue!(a_failing_job_retries_then_is_kept_as_failed);

async fn a_job_whose_worker_is_killed_runs_again(queue: Queue) {
    let Some(d) = Deployment::for_queue(queue, &[]).await else { return };
    jobs::enqueue(&d.db, &ProbeJob { token: "survivor".into(), sleep_ms: 1500, ..ProbeJob::default() })
        .await
        .expect("enqueue");
    let mut first = d.spawn("worker-1", &["worker"]);
    let running =
        d.wait_for_count("SELECT COUNT(*) AS n FROM jobs WHERE status = 'running'", 1, Duration::from_secs(20)).await;
    assert_eq!(running, 1, "worker 1 claimed the job: {}", d.log("worker-1"));
    signal(&first, "-KILL");
    first.wait().expect("reap");
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM job_probes").await, 0, "killed before it finished");

    let mut second = d.spawn("worker-2", &["worker"]);
    // The lease (3 s timeout + 2 s) must expire before worker 2 may take the job over.
    let done = d.wait_for_count("SELECT COUNT(*) AS n FROM job_probes", 1, Duration::from_secs(20)).await;
    signal(&second, "-TERM");
    second.wait().expect("reap");
    assert_eq!(done, 1, "{}", d.log("worker-2"));
    assert_eq!(d.count("SELECT attempt AS n FROM job_probes").await, 2, "the second attempt completed it");
    let source = match queue {
        Queue::Sqlite | Queue::Postgres => "source=\"database\"",
        Queue::Redis => "source=\"Redis\"",
        Queue::Rabbitmq => "source=\"RabbitMQ\"",
    };
    assert!(d.log("worker-2").contains(source), "the worker took its jobs from {source}: {}", d.log("worker-2"));
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM jobs").await, 0);
}
on_every_queue!(a_job_whose_worker_is_killed_runs_again);

async fn sigterm_lets_the_running_job_finish(queue: Queue) {
    let Some(d) = Deployment::for_queue(queue, &[]).await else { return };
    jobs::enqueue(&d.db, &ProbeJob { token: "graceful".into(), sleep_ms: 1000, ..ProbeJob::default() })
        .await
        .expect("enqueue");
    let mut worker = d.spawn("worker", &["worker"]);
    let running =
        d.wait_for_count("SELECT COUNT(*) AS n FROM jobs WHERE status = 'running'", 1, Duration::from_secs(20)).await;
    assert_eq!(running, 1, "{}", d.log("worker"));
    signal(&worker, "-TERM");
    let status = worker.wait().expect("reap");
    assert!(status.success(), "{}", d.log("worker"));
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM job_probes").await, 1, "finished before exiting");
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM jobs").await, 0);
}
on_every_queue!(sigterm_lets_the_running_job_finish);

async fn ten_thousand_jobs_run_exactly_once_across_two_workers(queue: Queue) {
    let Some(d) = Deployment::for_queue(queue, &[]).await else { return };
    const N: i64 = 10_000;
    let txn = d.db.begin().await.expect("begin");
    for i in 0..N {
        jobs::enqueue(&txn, &probe(&format!("bulk-{i}"))).await.expect("enqueue");
    }
    txn.commit().await.expect("commit");

    let mut workers = [("worker-a", d.spawn("worker-a", &["worker"])), ("worker-b", d.spawn("worker-b", &["worker"]))];
    let done = d.wait_for_count("SELECT COUNT(*) AS n FROM job_probes", N, Duration::from_secs(180)).await;
    let left = d.wait_for_count("SELECT COUNT(*) AS n FROM jobs", 0, Duration::from_secs(10)).await;
    for (name, w) in &mut workers {
        signal(w, "-TERM");
        let status = w.wait().expect("reap");
        assert!(status.success(), "{name} exited with {status}: {}", d.log(name));
    }
    assert_eq!(done, N, "every job ran: {}", d.log("worker-a"));
    assert_eq!(left, 0);
    assert_eq!(d.count("SELECT COUNT(DISTINCT token) AS n FROM job_probes").await, N, "no job ran twice");
    assert_eq!(d.count("SELECT COUNT(DISTINCT job_id) AS n FROM job_probes").await, N);
    assert_eq!(d.count("SELECT MAX(attempt) AS n FROM job_probes").await, 1);
    let by_both = d.count("SELECT COUNT(DISTINCT worker) AS n FROM job_probes").await;
    eprintln!("workers that ran jobs: {by_both}");
}
on_every_queue!(ten_thousand_jobs_run_exactly_once_across_two_workers);

async fn two_schedulers_run_a_nightly_job_once_per_slot(queue: Queue) {
    let Some(d) = Deployment::for_queue(queue, &[("NIGHTLY_JOBS_AT", "00:00"), ("SCHEDULER_TICK_MS", "100")]).await
    else {
        return;
    };
    let mut procs = [
        d.spawn("scheduler-1", &["scheduler"]),
        d.spawn("scheduler-2", &["scheduler"]),
        d.spawn("worker", &["worker"]),
    ];
    let slot = "SELECT COUNT(*) AS n FROM job_status WHERE name = 'platform.nightly_probe' AND status = 'success'";
    let succeeded = d.wait_for_count(slot, 1, Duration::from_secs(20)).await;
    // Give both schedulers several more ticks to try again.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    for p in &mut procs {
        signal(p, "-TERM");
        assert!(p.wait().expect("reap").success());
    }
    assert_eq!(succeeded, 1, "{}\n{}", d.log("scheduler-1"), d.log("worker"));
    assert_eq!(
        d.count("SELECT COUNT(*) AS n FROM job_status WHERE name = 'platform.nightly_probe'").await,
        1,
        "one slot row"
    );
    assert_eq!(
        d.count("SELECT COUNT(*) AS n FROM job_status").await,
        d.count("SELECT COUNT(DISTINCT name) AS n FROM job_status").await,
        "every periodic job has one row for today"
    );
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM job_probes WHERE token = 'nightly'").await, 1, "one run");

    // An external scheduler calling enqueue-job for the same slot finds it taken.
    let out = common::bin::run(d.dir.path(), &["enqueue-job", "platform.nightly_probe"], &d.env());
    assert!(out.status.success());
    assert!(common::bin::text(&out.stdout).contains("was already queued"), "{}", common::bin::text(&out.stdout));
}
on_every_queue!(two_schedulers_run_a_nightly_job_once_per_slot);

async fn a_scheduled_run_that_fails_is_recorded_with_its_error(queue: Queue) {
    use chrono::NaiveTime;
    use platform::jobs::{Periodic, Schedule, scheduler};

    let Some(d) = Deployment::for_queue(queue, &[]).await else { return };
    let at = NaiveTime::from_hms_opt(0, 0, 0).expect("time");
    let failing = ProbeJob { token: "nightly-failure".into(), fail_first: 99, ..ProbeJob::default() };
    let mut schedule = Schedule::new();
    schedule.add(Periodic::daily("test.failing_nightly", &failing, at));
    let tz = chrono_tz::America::New_York;
    let registry = procure::app::jobs();
    let now = chrono::Utc::now();
    let taken = scheduler::run_due(&d.db, &registry, &schedule, tz, now).await.expect("run due");
    assert_eq!(taken.len(), 1);
    assert!(scheduler::run_due(&d.db, &registry, &schedule, tz, now).await.expect("again").is_empty(), "slot taken");

    let (stop, handle) = start_worker(&d).await;
    let failed = d
        .wait_for_count("SELECT COUNT(*) AS n FROM job_status WHERE status = 'failed'", 1, Duration::from_secs(15))
        .await;
    stop.cancel();
    handle.await.expect("worker");
    assert_eq!(failed, 1);
    let backend = sea_orm::ConnectionTrait::get_database_backend(&d.db);
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &d.db,
        sea_orm::Statement::from_string(backend, "SELECT info FROM job_status WHERE name = 'test.failing_nightly'"),
    )
    .await
    .expect("query")
    .expect("row");
    let info: String = row.try_get("", "info").expect("info");
    assert!(info.contains("failing attempt 4 on purpose"), "{info}");
}
on_every_queue!(a_scheduled_run_that_fails_is_recorded_with_its_error);

#[tokio::test]
async fn a_slot_is_not_due_before_its_time_or_on_other_days() {
    use chrono::{NaiveTime, TimeZone};
    use platform::jobs::{Periodic, Schedule, scheduler};

    let d = Deployment::new(Backend::Sqlite, &[]).await.expect("sqlite");
    let tz = chrono_tz::America::New_York;
    let mut schedule = Schedule::new();
    let at = NaiveTime::from_hms_opt(7, 0, 0).expect("time");
    schedule.add(Periodic::monthly_on("test.digest", &probe("digest"), &[1, 15], at));
    let registry = procure::app::jobs();
    // 06:59 and 07:00 New York time on the 15th, then the 16th.
    let local =
        |day, h, m| tz.with_ymd_and_hms(2026, 11, day, h, m, 0).single().expect("time").with_timezone(&chrono::Utc);
    assert!(scheduler::run_due(&d.db, &registry, &schedule, tz, local(15, 6, 59)).await.expect("due").is_empty());
    assert_eq!(scheduler::run_due(&d.db, &registry, &schedule, tz, local(15, 7, 0)).await.expect("due").len(), 1);
    assert!(scheduler::run_due(&d.db, &registry, &schedule, tz, local(16, 9, 0)).await.expect("due").is_empty());
}

/// `TestApp::run_pending_jobs`: the app's worker code runs every due job, and what they queue,
/// until the queue is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_pending_jobs_empties_the_queue_with_the_real_worker() {
    let app = common::TestApp::new(Backend::Sqlite, &[]).await.expect("app");
    for i in 0..5 {
        jobs::enqueue(&app.state.db, &probe(&format!("pending-{i}"))).await.expect("enqueue");
    }
    let later = jobs::EnqueueOptions { delay: Some(Duration::from_secs(3600)), priority: None };
    jobs::enqueue_with(&app.state.db, &probe("later"), later).await.expect("enqueue");
    app.run_pending_jobs().await;
    assert_eq!(app.count("SELECT COUNT(*) FROM job_probes WHERE token LIKE 'pending-%'").await, 5);
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, 1, "only the job delayed to later waits");
}

/// A job that fails makes `TestApp::run_pending_jobs` fail the test, naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "(platform.probe) failed")]
async fn run_pending_jobs_fails_when_a_job_fails() {
    let app = common::TestApp::new(Backend::Sqlite, &[]).await.expect("app");
    let failing = ProbeJob { fail_first: 1, ..probe("failing") };
    jobs::enqueue(&app.state.db, &failing).await.expect("enqueue");
    app.run_pending_jobs().await;
}
