use std::collections::HashMap;

use super::deploy_check::{self, Level};
use super::*;

const STRONG: &str = "Zq8vN3pL0sX7rT2mW9yB4cH6jK1fD5gA8eU3iO0pQ7wE2rT9yU4iO6pA1sD3fG5h";

fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
    let env: HashMap<&str, &str> = pairs.iter().copied().collect();
    Config::from_source(&env)
}

fn production<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v: Vec<(&'a str, &'a str)> = vec![
        ("PROCURE_ENV", "production"),
        ("SECRET_KEY", STRONG),
        ("APP_URL", "https://purchasing.example.gov"),
        ("DATABASE_URL", "postgres://u:p@db.internal:5432/procure"),
    ];
    for &(k, val) in extra {
        v.retain(|(name, _)| *name != k);
        v.push((k, val));
    }
    v
}

#[test]
fn zero_configuration_gives_embedded_defaults() {
    let c = config(&[]).expect("defaults are valid");
    assert_eq!(c.env, Environment::Development);
    assert_eq!(c.server.port, 8000);
    assert_eq!(c.database.backend, DatabaseBackend::Sqlite { path: "./data/procure.db".into() });
    assert_eq!(c.database.url.expose(), "sqlite://./data/procure.db?mode=rwc");
    assert_eq!(c.site.app_url.as_str(), "http://localhost:8000/");
    assert_eq!(c.site.display_timezone, chrono_tz::America::New_York);
    assert_eq!(c.uploads.max_content_length, 2 * 1024 * 1024);
    assert!(c.mail.smtp.is_none() && c.redis.is_none() && c.broker.is_none() && c.s3.is_none());
    assert_eq!(c.logging.format, LogFormat::Text);
    assert_eq!(c.mail.subject_prefix, "[Procure] ");
}

#[test]
fn production_names_each_missing_essential() {
    let errors = config(&[("PROCURE_ENV", "production")]).expect_err("must refuse");
    for var in ["SECRET_KEY", "APP_URL", "DATABASE_URL"] {
        assert!(errors.names(var), "{var} not named in {errors}");
    }
    assert!(errors.to_string().contains("SECRET_KEY: must be set in production"));
}

#[test]
fn heroku_dyno_marks_production() {
    let errors = config(&[("DYNO", "web.1")]).expect_err("DYNO means production");
    assert!(errors.names("SECRET_KEY"));
    let c = config(&production(&[("PROCURE_ENV", "production")])).expect("complete production config");
    assert!(c.env.is_production());
    assert_eq!(c.logging.format, LogFormat::MozLog);
}

#[test]
fn production_rejects_a_weak_key_under_whichever_alias_supplied_it() {
    let mut pairs = production(&[]);
    pairs.retain(|(k, _)| *k != "SECRET_KEY");
    pairs.push(("PITTSBURGH-PURCHASING-SUITE_SECRET", "twenty-chars-secret!"));
    let errors = config(&pairs).expect_err("weak key");
    assert!(errors.names("PITTSBURGH-PURCHASING-SUITE_SECRET"), "{errors}");
    assert!(errors.to_string().contains("too weak"));
}

#[test]
fn secret_aliases_are_accepted_in_order() {
    let c = config(&[("DJANGO_SECRET_KEY", STRONG)]).expect("valid");
    assert_eq!(c.secret.source, "DJANGO_SECRET_KEY");
    assert_eq!(c.secret.key.as_ref().map(Secret::expose), Some(STRONG));
    assert!(!format!("{c:?}").contains(STRONG), "the key must not appear in Debug output");
}

#[test]
fn app_url_comes_from_any_of_the_seeds_names() {
    let c = config(&[("SITE_DOMAIN", "buy.example.gov"), ("SITE_SCHEME", "https")]).expect("valid");
    assert_eq!(c.site.app_url.as_str(), "https://buy.example.gov/");
    let c = config(&[("BROWSERID_URL", "https://pgh.example.gov/some/path")]).expect("valid");
    assert_eq!(c.site.app_url.as_str(), "https://pgh.example.gov/");
    let c = config(&[("SERVER_NAME", "localhost:5000")]).expect("valid");
    assert_eq!(c.site.app_url.as_str(), "http://localhost:5000/");
    let errors = config(&[("APP_URL", "ftp://x")]).expect_err("bad scheme");
    assert!(errors.names("APP_URL"));
}

#[test]
fn allowed_hosts_default_to_the_app_host_plus_localhost_outside_production() {
    let c = config(&[("APP_URL", "https://buy.example.gov")]).expect("valid");
    assert_eq!(c.security.allowed_hosts, ["buy.example.gov", "localhost", "127.0.0.1", "[::1]"]);
    let c = config(&production(&[])).expect("valid");
    assert_eq!(c.security.allowed_hosts, ["purchasing.example.gov"]);
}

#[test]
fn database_urls() {
    let c = config(&[("DATABASE_URL", "postgresql://u:secret@h:5433/db")]).expect("valid");
    assert!(c.database.is_postgres());
    assert_eq!(c.database.describe(), "PostgreSQL h:5433/db");
    let c = config(&[("DATABASE_URL", "sqlite:///var/lib/procure/p.db")]).expect("valid");
    assert_eq!(c.database.backend, DatabaseBackend::Sqlite { path: "/var/lib/procure/p.db".into() });
    assert_eq!(c.database.url.expose(), "sqlite:///var/lib/procure/p.db?mode=rwc");
    let errors = config(&[("DATABASE_URL", "mysql://x@y/z")]).expect_err("unsupported");
    assert!(errors.to_string().contains("DATABASE_URL: unsupported database \"mysql\""));
}

#[test]
fn timezone_must_be_an_iana_name() {
    let c = config(&[("DISPLAY_TIMEZONE", "US/Eastern")]).expect("the original's value is valid");
    assert_eq!(c.site.display_timezone, chrono_tz::US::Eastern);
    let errors = config(&[("DISPLAY_TIMEZONE", "Eastern Time")]).expect_err("invalid");
    assert!(errors.names("DISPLAY_TIMEZONE"));
}

#[test]
fn sizes_accept_suffixes() {
    assert_eq!(parse_size("2097152"), Some(2_097_152));
    assert_eq!(parse_size("10M"), Some(10 * 1024 * 1024));
    assert_eq!(parse_size("512KiB"), Some(512 * 1024));
    assert_eq!(parse_size("lots"), None);
    let errors = config(&[("MAX_CONTENT_LENGTH", "0")]).expect_err("zero is not a limit");
    assert!(errors.names("MAX_CONTENT_LENGTH"));
}

#[test]
fn mail_presets_and_aliases() {
    let c = config(&[("MAIL_USERNAME", "apikey"), ("MAIL_PASSWORD", "pw")]).expect("valid");
    let smtp = c.mail.smtp.expect("Sendgrid preset");
    assert_eq!((smtp.host.as_str(), smtp.port, smtp.security), ("smtp.sendgrid.net", 587, SmtpSecurity::StartTls));
    let c = config(&[
        ("MAILGUN_SMTP_SERVER", "smtp.mailgun.org"),
        ("MAILGUN_SMTP_PORT", "465"),
        ("MAILGUN_SMTP_LOGIN", "postmaster@x"),
        ("MAILGUN_SMTP_PASSWORD", "pw"),
    ])
    .expect("valid");
    let smtp = c.mail.smtp.expect("Mailgun");
    assert_eq!((smtp.port, smtp.security), (465, SmtpSecurity::Tls));
    let errors = config(&[("MAIL_SERVER", "smtp.x"), ("MAIL_USERNAME", "u")]).expect_err("password missing");
    assert!(errors.names("MAIL_PASSWORD"));
    let errors = config(&[("BEACON_SENDER", "not an address")]).expect_err("bad sender");
    assert!(errors.names("BEACON_SENDER"));
    // As `podman --env-file` passes `MAIL_DEFAULT_SENDER="City Purchasing <…>"`: quotes included.
    let quoted = "\"City Purchasing <purchasing@example.gov>\"";
    let errors = config(&[("MAIL_DEFAULT_SENDER", quoted)]).expect_err("a quoted sender");
    assert!(errors.names("MAIL_DEFAULT_SENDER"));
    assert!(format!("{errors:?}").contains("wrapped in quotes"), "{errors:?}");
    // What the mailer cannot send from, the check refuses too.
    assert!(config(&[("CONDUCTOR_SENDER", "Conductor <a@b@c>")]).is_err());
    let c = config(&[("MAIL_DEFAULT_SENDER", "City Purchasing <purchasing@example.gov>")]).expect("valid");
    assert_eq!(c.mail.default_sender, "City Purchasing <purchasing@example.gov>");
    assert!(config(&[("MAIL_DEFAULT_SENDER", "purchasing@example.gov")]).is_ok());
    let c = config(&[("MAIL_SUBJECT_PREFIX", "[Pittsburgh Purchasing]")]).expect("valid");
    assert_eq!(c.mail.subject_prefix, "[Pittsburgh Purchasing] ");
}

#[test]
fn redis_broker_s3_sentry_statsd_are_parsed_and_validated() {
    let c = config(&[
        ("REDIS_HOST", "cache.internal"),
        ("CELERY_BROKER_URL", "amqp://guest:guest@localhost:5672//"),
        ("S3_BUCKET", "docs"),
        ("S3_ENDPOINT", "http://127.0.0.1:5055"),
        ("SENTRY_DSN", "https://abc@o1.ingest.sentry.io/2"),
        ("STATSD_HOST", "127.0.0.1"),
    ])
    .expect("valid");
    assert_eq!(c.redis.expect("redis").url.expose(), "redis://cache.internal:6379/0");
    assert_eq!(c.broker.expect("broker").kind, BrokerKind::Amqp);
    assert_eq!(c.s3.expect("s3").endpoint.map(|u| u.to_string()), Some("http://127.0.0.1:5055/".to_owned()));
    assert_eq!(c.statsd.expect("statsd").port, 8125);
    assert_eq!(c.sentry.expect("sentry").environment, "development");

    let errors = config(&[
        ("REDIS_URL", "http://nope"),
        ("BROKER_URL", "kafka://x"),
        ("SENTRY_DSN", "not a dsn"),
        ("S3_BUCKET_NAME", "b"),
        ("AWS_ACCESS_KEY_ID", "only-half"),
    ])
    .expect_err("all invalid");
    for var in ["REDIS_URL", "BROKER_URL", "SENTRY_DSN", "AWS_SECRET_ACCESS_KEY"] {
        assert!(errors.names(var), "{var} not named in {errors}");
    }
}

#[test]
fn auth_wall_needs_both_halves() {
    let c = config(&[("AUTH_WALL_USERNAME", "u"), ("AUTH_WALL_PASSWORD", "p")]).expect("valid");
    assert_eq!(c.security.auth_wall.expect("wall").realm, "Development");
    let errors = config(&[("AUTH_WALL_USERNAME", "u")]).expect_err("half a wall");
    assert!(errors.names("AUTH_WALL_PASSWORD"));
}

#[test]
fn admins_in_every_format_the_seeds_use() {
    let c = config(&[("DJANGO_ADMINS", "Ada Lovelace <ada@example.gov>, Bob:bob@example.gov, carol@example.gov")])
        .expect("valid");
    let emails: Vec<_> = c.admins.iter().map(|a| a.email.as_str()).collect();
    assert_eq!(emails, ["ada@example.gov", "bob@example.gov", "carol@example.gov"]);
    assert_eq!(c.admins[0].name.as_deref(), Some("Ada Lovelace"));
    assert!(config(&[("ADMINS", "nobody")]).expect_err("no address").names("ADMINS"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let errors =
        config(&[("PORT", "x"), ("LOG_FORMAT", "xml"), ("HEARTBEAT_FAILED_STATUS", "200")]).expect_err("three");
    assert_eq!(errors.0.len(), 3, "{errors}");
}

#[test]
fn deploy_check_rejects_a_twenty_character_key() {
    let c = config(&[("SECRET_KEY", "abcdefghijklmnopqrst")]).expect("development accepts it");
    let findings = deploy_check::run(&c);
    let w009 = findings.iter().find(|f| f.id == "W009").expect("W009 raised");
    assert_eq!(w009.level, Level::Warning);
    assert!(w009.message.contains("20 characters"));
}

#[test]
fn deploy_check_is_quiet_for_a_careful_production_setup() {
    let c = config(&production(&[
        ("MAIL_SERVER", "smtp.example.gov"),
        ("SECURE_HSTS_PRELOAD", "true"),
        ("ADMINS", "ops@example.gov"),
        ("SENTRY_DSN", "https://k@sentry.example.gov/1"),
    ]))
    .expect("valid");
    assert_eq!(deploy_check::run(&c), vec![]);
    let c = config(&production(&[("APP_URL", "http://purchasing.example.gov")])).expect("valid");
    let ids: Vec<_> = deploy_check::run(&c).iter().filter(|f| f.level >= Level::Warning).map(|f| f.id).collect();
    assert_eq!(ids, ["P003", "W008"]);
}

#[test]
fn bare_hosts_get_a_scheme() {
    // The original suite documents BROWSERID_URL=127.0.0.1:9000.
    let c = config(&[("BROWSERID_URL", "127.0.0.1:9000")]).expect("valid");
    assert_eq!(c.site.app_url.as_str(), "http://127.0.0.1:9000/");
    let c = config(&production(&[("APP_URL", "buy.example.gov")])).expect("valid");
    assert_eq!(c.site.app_url.as_str(), "https://buy.example.gov/");
}

#[test]
fn redis_host_may_carry_its_port() {
    let c = config(&[("REDIS_HOST", "cache.internal:6380")]).expect("valid");
    assert_eq!(c.redis.expect("redis").url.expose(), "redis://cache.internal:6380/0");
}

#[test]
fn half_configured_services_are_errors_naming_the_missing_half() {
    let errors =
        config(&[("MAILGUN_SMTP_LOGIN", "postmaster@x"), ("MAILGUN_SMTP_PASSWORD", "pw")]).expect_err("no server");
    assert!(errors.names("MAIL_SERVER"), "a Mailgun login must not fall back to Sendgrid: {errors}");
    let errors = config(&[("MAIL_SERVER", "smtp.x"), ("MAIL_PASSWORD", "pw")]).expect_err("no user");
    assert!(errors.names("MAIL_USERNAME"));
    let errors = config(&[("S3_BUCKET", "b"), ("AWS_SECRET_ACCESS_KEY", "s")]).expect_err("no key id");
    assert!(errors.names("AWS_ACCESS_KEY_ID"));
    let errors = config(&[("ENABLE_MEDIA_UPLOAD_TO_S3", "true")]).expect_err("no bucket");
    assert!(errors.names("S3_BUCKET_NAME"));
    assert!(config(&[("ENABLE_MEDIA_UPLOAD_TO_S3", "false"), ("S3_BUCKET", "b")]).expect("valid").s3.is_none());
}

#[test]
fn heroku_checks_apply_whatever_chose_production() {
    let c = config(&production(&[("DYNO", "web.1"), ("DATABASE_URL", "sqlite://./p.db")])).expect("valid");
    assert!(c.on_heroku);
    let ids: Vec<_> = deploy_check::run(&c).iter().map(|f| f.id).collect();
    assert!(ids.contains(&"P004") && ids.contains(&"P005"), "{ids:?}");
}

#[test]
fn celery_broker_url_wins_over_broker_url() {
    let c = config(&[("CELERY_BROKER_URL", "amqp://a@h//"), ("BROKER_URL", "redis://h:6379/0")]).expect("valid");
    assert_eq!(c.broker.expect("broker").kind, BrokerKind::Amqp);
}
