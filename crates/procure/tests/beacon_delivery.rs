//! Beacon's delivery acceptance test on both databases: real `procure worker` processes, one
//! killed with SIGKILL halfway, sending through a real SMTP server (aiosmtpd).

mod common;

use common::Backend;
use common::beacon::{accepted, mail_deployment, publish_in, subscribed_vendors};

/// The acceptance test: publishing to 3 categories with 1,000 subscribed vendors (some
/// in several) through a real worker and SMTP server, the worker killed with SIGKILL halfway
/// and started again, ends with exactly one message for each vendor, and nothing for the
/// unconfirmed, the unsubscribed or vendors of other categories.
///
/// "One message" is one Message-ID. A message the server accepted in the instant before the
/// kill, before the worker could record it as sent, is sent again after the restart under the
/// same Message-ID (SMTP cannot do better: recording first would lose mail instead); the test
/// allows at most as many such resends as the worker had sends in flight and prints the count.
async fn a_published_opportunity_reaches_each_vendor_once_through_a_killed_worker(backend: Backend) {
    use std::collections::BTreeMap;
    const SENDS_IN_FLIGHT: usize = 64; // platform::mail's SMTP connections (and send jobs) per worker
    let Some(sink) = common::smtp::SmtpSink::start() else { return };
    let Some(d) = mail_deployment(backend, &sink).await else { return };
    let (categories, expected) = subscribed_vendors(&d, 1_000).await;
    publish_in(&d, categories).await;

    let mut first = d.spawn("worker-1", &["worker"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut at_kill = 0;
    // Killed halfway through the sending, once the announcement job has queued every message
    // (it takes a second or so; a fan-out cut short resumes when its lease, `JOB_LEASE`, runs
    // out, which `publishing_tells_each_subscribed_vendor_exactly_once` covers).
    let fan_out = "SELECT COUNT(*) AS n FROM jobs WHERE job_type = 'beacon.new_opportunity'";
    while std::time::Instant::now() < deadline {
        at_kill = common::smtp::eml_files(sink.dir.path()).len();
        if at_kill >= expected.len() / 2 && d.count(fan_out).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    common::signal(&first, "-KILL");
    first.wait().expect("reap");
    assert!(
        (expected.len() / 2..expected.len()).contains(&at_kill),
        "the kill came halfway: {at_kill} messages had arrived\n{}",
        d.log("worker-1")
    );

    // The new worker sends the rest, and the dead worker's claimed messages once their lease
    // (the send timeout) runs out.
    let mut second = d.spawn("worker-2", &["worker"]);
    let left = d.wait_for_count("SELECT COUNT(*) AS n FROM jobs", 0, std::time::Duration::from_secs(120)).await;
    common::signal(&second, "-TERM");
    assert!(second.wait().expect("reap").success(), "{}", d.log("worker-2"));
    assert_eq!(left, 0, "every job done: {}", d.log("worker-2"));

    let mut by_recipient: BTreeMap<String, (usize, std::collections::BTreeSet<String>)> = BTreeMap::new();
    let received = accepted(sink.dir.path());
    for (to, id) in &received {
        let entry = by_recipient.entry(to.clone()).or_default();
        entry.0 += 1;
        entry.1.insert(id.clone());
    }
    let recipients: Vec<&String> = by_recipient.keys().collect();
    let wanted: Vec<&String> = expected.iter().collect();
    assert_eq!(recipients, wanted, "each subscribed vendor, and only they (no unconfirmed, unsubscribed or other)");
    let twice: Vec<_> = by_recipient.iter().filter(|(_, (_, ids))| ids.len() != 1).collect();
    assert!(twice.is_empty(), "a vendor got two different announcements: {twice:?}");
    let resent = received.len() - expected.len();
    eprintln!("{backend:?}: {at_kill} accepted before the kill; {resent} resent (same Message-ID) after it");
    assert!(resent <= SENDS_IN_FLIGHT, "{resent} resends: more than the sends in flight at the kill");
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM deliveries").await, expected.len() as i64);
    assert_eq!(d.count("SELECT COUNT(*) AS n FROM sent_emails").await, expected.len() as i64);
}
on_both_backends!(a_published_opportunity_reaches_each_vendor_once_through_a_killed_worker);
