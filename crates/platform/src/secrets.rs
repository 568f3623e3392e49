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
    let path = config.data_dir.join("secret_key");
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing.trim().len() >= 50 => Ok(Secret::new(existing.trim())),
        Ok(_) | Err(_) if !path.exists() => generate(&path),
        Ok(_) => {
            Err(std::io::Error::other(format!("{} is too short; delete it to generate a new one", path.display())))
        }
        Err(e) => Err(e),
    }
}

fn generate(path: &Path) -> std::io::Result<Secret> {
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    let key = hex::encode(bytes);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(key.as_bytes())?;
            tracing::warn!(path = %path.display(), "SECRET_KEY is not set; generated a key for this machine");
            Ok(Secret::new(key))
        }
        // Another process generated it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(Secret::new(std::fs::read_to_string(path)?.trim()))
        }
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
