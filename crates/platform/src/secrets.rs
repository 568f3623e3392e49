//! The application secret and the keys derived from it.
//!
//! Production always has `SECRET_KEY` (the configuration refuses to start without it).
//! Elsewhere, a key is generated once and kept in `<DATA_DIR>/secret_key` (mode 0600), so
//! signed links and sessions survive a restart — unlike h, whose random fallback key silently
//! logged everyone out on every restart.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Config;
use crate::config::Secret;

/// The secret: `SECRET_KEY` (or an alias), or the one generated in the data folder.
pub fn app_secret(config: &Config) -> std::io::Result<Secret> {
    if let Some(key) = &config.secret.key {
        return Ok(key.clone());
    }
    stored_key(&config.data_dir.join("secret_key"))
}

/// The key kept at `path`, generated on first use.
fn stored_key(path: &Path) -> std::io::Result<Secret> {
    match std::fs::read_to_string(path) {
        Ok(existing) if existing.trim().len() >= 50 => Ok(Secret::new(existing.trim())),
        Ok(_) => {
            Err(std::io::Error::other(format!("{} is too short; delete it to generate a new one", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => generate(path),
        Err(e) => Err(e),
    }
}

/// Processes that start together on a fresh folder (web and worker) must agree on one key, and
/// none may read a key half written: the key is written whole to a file of its own, then
/// linked into place, which fails if another process got there first; its key is used then.
fn generate(path: &Path) -> std::io::Result<Secret> {
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    let key = hex::encode(bytes);
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|e| std::io::Error::other(e.to_string()))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let draft = path.with_file_name(format!(".secret_key.{}", hex::encode(suffix)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&draft).and_then(|mut file| {
        file.write_all(key.as_bytes())?;
        file.sync_all()
    });
    let linked = written.and_then(|()| match std::fs::hard_link(&draft, path) {
        // A file system without hard links (some network shares and bind mounts): creating the
        // file exclusively still gives one winner, though a reader may then see it half written.
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported || e.raw_os_error() == Some(1) => {
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
            file.write_all(key.as_bytes())?;
            file.sync_all()
        }
        other => other,
    });
    let _ = std::fs::remove_file(&draft);
    // The new name is durable only once its folder is.
    if let Some(dir) = path.parent()
        && let Ok(folder) = std::fs::File::open(dir)
    {
        let _ = folder.sync_all();
    }
    match linked {
        Ok(()) => {
            tracing::warn!(path = %path.display(), "SECRET_KEY is not set; generated a key for this machine");
            Ok(Secret::new(key))
        }
        // Another process generated it first: use theirs (whole, since it was linked whole).
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => stored_key(path),
        Err(e) => Err(e),
    }
}

/// A key for one purpose, so a signature made for one thing never verifies as another.
pub fn derive_key(secret: &Secret, purpose: &str) -> Vec<u8> {
    hmac_sha256(secret.expose().as_bytes(), purpose.as_bytes())
}

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Compares a hex signature with the expected bytes in constant time.
pub fn verify_hex(key: &[u8], message: &[u8], signature_hex: &str) -> bool {
    let Ok(signature) = hex::decode(signature_hex) else { return false };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.verify_slice(&signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_starting_together_agree_on_one_whole_key() {
        for _ in 0..40 {
            let dir = tempfile::tempdir().expect("dir");
            let path = dir.path().join("data").join("secret_key");
            let barrier = std::sync::Barrier::new(6);
            let keys: Vec<String> = std::thread::scope(|scope| {
                let starts: Vec<_> = (0..6)
                    .map(|_| {
                        scope.spawn(|| {
                            barrier.wait();
                            stored_key(&path).map(|k| k.expose().to_owned())
                        })
                    })
                    .collect();
                starts.into_iter().map(|s| s.join().expect("thread").expect("a key")).collect()
            });
            assert!(keys.iter().all(|k| k.len() == 96 && *k == keys[0]), "{keys:?}");
            assert_eq!(std::fs::read_to_string(&path).expect("kept"), keys[0]);
            let left: Vec<_> = std::fs::read_dir(path.parent().expect("folder")).expect("list").collect();
            assert_eq!(left.len(), 1, "no draft left behind");
        }
    }
}
