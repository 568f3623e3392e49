//! Files: a local folder by default, S3 (or any S3-compatible server) when a bucket is named.
//!
//! Uploads stream: they are never held in memory whole. The content type comes from the bytes
//! (`infer`), not from the client; the size is capped while streaming (the upload is aborted and
//! nothing is left behind past the cap); a SHA-256 is computed on the way.
//!
//! Keys start with `public/` or `private/`. Public objects (opportunity documents, say) are
//! stored on S3 with `Cache-Control: public, max-age=155520000` and their content type, and are
//! linked by their plain URL (give the bucket a public-read policy on `public/*`); private ones
//! get presigned URLs. The local backend serves both through `/files/…` with an HMAC-signed,
//! expiring link.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::signer::Signer;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutMultipartOptions, WriteMultipart};
use sha2::{Digest, Sha256};

use crate::Config;
use crate::config::Secret;
use crate::secrets;

/// The original suite's cache header for public uploads (five years).
pub const PUBLIC_CACHE_CONTROL: &str = "public, max-age=155520000";
/// Bytes looked at to recognise a file's type.
const SNIFF_BYTES: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    fn prefix(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }
}

/// What was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    pub size: u64,
    pub sha256: String,
    pub content_type: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the file is larger than the {limit} bytes allowed")]
    TooLarge { limit: u64 },
    #[error("files of type {found} are not accepted here (accepted: {accepted})")]
    NotAccepted { found: String, accepted: String },
    #[error("the file is empty")]
    Empty,
    #[error("reading the upload: {0}")]
    Body(String),
    /// The disk or bucket has no room (ENOSPC, a quota): a fault of the store, not of the file.
    /// The message is the uploader's (the error log tells the team).
    #[error(
        "The file could not be stored: there is no space left for files just now. Nothing was saved; please try again later."
    )]
    Full,
    #[error(transparent)]
    Store(object_store::Error),
    #[error("storage configuration: {0}")]
    Config(String),
}

impl From<object_store::Error> for StorageError {
    fn from(e: object_store::Error) -> Self {
        if no_space(&e) {
            tracing::error!(error = %e, "the file store is full");
            StorageError::Full
        } else {
            StorageError::Store(e)
        }
    }
}

/// Whether an I/O error saying "no space" (or "quota exceeded") caused `e`.
fn no_space(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(err) = cause {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && matches!(io.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded)
        {
            return true;
        }
        cause = err.source();
    }
    false
}

#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn ObjectStore>,
    s3: Option<(AmazonS3, String)>,
    local_root: Option<PathBuf>,
    signing_key: Vec<u8>,
}

impl Storage {
    /// The configured backend; `secret` signs local download links.
    pub fn from_config(config: &Config, secret: &Secret) -> Result<Storage, StorageError> {
        let signing_key = secrets::derive_key(secret, "procure/files");
        let inner = match &config.s3 {
            Some(s3) => {
                let mut builder = AmazonS3Builder::new().with_bucket_name(&s3.bucket).with_region(&s3.region);
                if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
                    builder = builder.with_access_key_id(id).with_secret_access_key(secret.expose());
                }
                let public_base = match &s3.endpoint {
                    Some(endpoint) => {
                        let base = endpoint.as_str().trim_end_matches('/').to_owned();
                        builder = builder
                            .with_endpoint(&base)
                            .with_allow_http(endpoint.scheme() == "http")
                            .with_virtual_hosted_style_request(false);
                        format!("{base}/{}", s3.bucket)
                    }
                    None => format!("https://{}.s3.{}.amazonaws.com", s3.bucket, s3.region),
                };
                let s3_store = builder.build()?;
                Inner {
                    store: Arc::new(s3_store.clone()),
                    s3: Some((s3_store, public_base)),
                    local_root: None,
                    signing_key,
                }
            }
            None => {
                let root = config.uploads.folder.clone();
                std::fs::create_dir_all(&root).map_err(|e| StorageError::Config(format!("{}: {e}", root.display())))?;
                let store = LocalFileSystem::new_with_prefix(&root)?;
                Inner { store: Arc::new(store), s3: None, local_root: Some(root), signing_key }
            }
        };
        Ok(Storage { inner: Arc::new(inner) })
    }

    /// "S3" or "local folder", without the bucket or path (for the public heartbeat).
    pub fn kind(&self) -> &'static str {
        if self.inner.s3.is_some() { "S3" } else { "local folder" }
    }

    pub fn describe(&self) -> String {
        match (&self.inner.s3, &self.inner.local_root) {
            (Some((_, base)), _) => format!("S3 {base}"),
            (None, Some(root)) => format!("local folder {}", root.display()),
            (None, None) => "storage".to_owned(),
        }
    }

    /// A fresh key: `public/opportunities/3f2a…-bid-form.pdf` (its last part is a UUID, a dash
    /// and the file's safe name, which [`download_name`] reads back).
    pub fn new_key(visibility: Visibility, area: &str, filename: &str) -> String {
        format!("{}/{area}/{}-{}", visibility.prefix(), uuid::Uuid::new_v4().simple(), safe_filename(filename))
    }

    /// Streams `body` to `key`, refusing more than `limit` bytes and any type not in `accepted`
    /// (MIME types; `None` accepts anything). On refusal or error nothing is left stored.
    pub async fn put_stream<S, E>(
        &self,
        key: &str,
        body: S,
        limit: u64,
        accepted: Option<&[&str]>,
    ) -> Result<StoredObject, StorageError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut body = body;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        // Read the head first: the type decides acceptance and the object's attributes.
        let mut head = Vec::new();
        let mut ended = false;
        while head.len() < SNIFF_BYTES {
            match body.next().await {
                Some(chunk) => {
                    let chunk = chunk.map_err(|e| StorageError::Body(e.to_string()))?;
                    size += chunk.len() as u64;
                    if size > limit {
                        return Err(StorageError::TooLarge { limit });
                    }
                    head.extend_from_slice(&chunk);
                }
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if head.is_empty() {
            return Err(StorageError::Empty);
        }
        let content_type = sniff(&head);
        if let Some(accepted) = accepted
            && !accepted.contains(&content_type.as_str())
        {
            return Err(StorageError::NotAccepted { found: content_type, accepted: accepted.join(", ") });
        }
        let path = ObjectPath::parse(key).map_err(|e| StorageError::Config(e.to_string()))?;
        let mut attributes = Attributes::new();
        if self.inner.s3.is_some() {
            // LocalFileSystem keeps no attributes (it refuses them); the record keeps the type.
            attributes.insert(Attribute::ContentType, content_type.clone().into());
            if key.starts_with("public/") {
                attributes.insert(Attribute::CacheControl, PUBLIC_CACHE_CONTROL.into());
            }
            attributes.insert(Attribute::ContentDisposition, content_disposition(key, &content_type).into());
        }
        let upload = self
            .inner
            .store
            .put_multipart_opts(&path, PutMultipartOptions { attributes, ..Default::default() })
            .await?;
        let mut writer = WriteMultipart::new(upload);
        hasher.update(&head);
        writer.write(&head);
        let streamed: Result<(), StorageError> = async {
            if ended {
                return Ok(());
            }
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| StorageError::Body(e.to_string()))?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(StorageError::TooLarge { limit });
                }
                hasher.update(&chunk);
                // Backpressure: at most a few parts in flight, whatever the file's size.
                writer.wait_for_capacity(2).await?;
                writer.write(&chunk);
            }
            Ok(())
        }
        .await;
        match streamed {
            Ok(()) => {
                writer.finish().await?;
                Ok(StoredObject { key: key.to_owned(), size, sha256: hex::encode(hasher.finalize()), content_type })
            }
            Err(e) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(key, error = %abort, "could not abort a refused upload");
                }
                Err(e)
            }
        }
    }

    pub async fn get(&self, key: &str) -> Result<object_store::GetResult, StorageError> {
        let path = ObjectPath::parse(key).map_err(|e| StorageError::Config(e.to_string()))?;
        Ok(self.inner.store.get(&path).await?)
    }

    /// Deletes `key`; an object already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = ObjectPath::parse(key).map_err(|e| StorageError::Config(e.to_string()))?;
        match self.inner.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Where a browser downloads `key`: the plain URL of a public S3 object, a presigned URL
    /// for a private one, or a signed `/files/…` link on the local backend.
    pub async fn url(&self, key: &str, content_type: &str, ttl: Duration) -> Result<String, StorageError> {
        match &self.inner.s3 {
            Some((_, base)) if key.starts_with("public/") => Ok(format!("{base}/{key}")),
            Some((s3, _)) => {
                let path = ObjectPath::parse(key).map_err(|e| StorageError::Config(e.to_string()))?;
                Ok(s3.signed_url(object_store::signer::Method::GET, &path, ttl).await?.to_string())
            }
            None => Ok(self.local_url(key, content_type, chrono::Utc::now().timestamp() + ttl.as_secs() as i64)),
        }
    }

    /// A signed `/files/…` link valid until `expires` (Unix seconds).
    pub fn local_url(&self, key: &str, content_type: &str, expires: i64) -> String {
        let sig =
            hex::encode(secrets::hmac_sha256(&self.inner.signing_key, &signed_message(key, content_type, expires)));
        let ct: String = url::form_urlencoded::byte_serialize(content_type.as_bytes()).collect();
        format!("/files/{key}?ct={ct}&exp={expires}&sig={sig}")
    }

    /// Checks a local download link; `Ok(content type)` when valid and unexpired.
    pub fn verify_local(&self, key: &str, content_type: &str, expires: i64, sig: &str) -> Result<(), LinkError> {
        if !secrets::verify_hex(&self.inner.signing_key, &signed_message(key, content_type, expires), sig) {
            return Err(LinkError::BadSignature);
        }
        if chrono::Utc::now().timestamp() > expires {
            return Err(LinkError::Expired);
        }
        Ok(())
    }

    /// A cheap round trip, for the heartbeat.
    pub async fn check(&self) -> Result<(), String> {
        let prefix = ObjectPath::from("public");
        self.inner.store.list_with_delimiter(Some(&prefix)).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this download link is not valid")]
    BadSignature,
    #[error("this download link has expired; go back to the page and open the file again")]
    Expired,
}

fn signed_message(key: &str, content_type: &str, expires: i64) -> Vec<u8> {
    format!("{key}\n{content_type}\n{expires}").into_bytes()
}

/// The type the bytes say; plain text when they say nothing recognisable.
fn sniff(head: &[u8]) -> String {
    match infer::get(head) {
        Some(kind) => kind.mime_type().to_owned(),
        None if std::str::from_utf8(head).is_ok() => {
            let text = String::from_utf8_lossy(head);
            let csvish = text.lines().take(2).all(|l| l.contains(','));
            (if csvish { "text/csv" } else { "text/plain" }).to_owned()
        }
        None => "application/octet-stream".to_owned(),
    }
}

/// Letters, digits, `.`, `-`, `_` only; at most 100 characters; never empty or hidden.
pub fn safe_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' }).collect();
    let trimmed = cleaned.trim_start_matches(['.', '-']).chars().take(100).collect::<String>();
    if trimmed.is_empty() { "file".to_owned() } else { trimmed }
}

/// The file name a download of `key` is saved under: the name it was uploaded with, made safe
/// (see [`Storage::new_key`]).
pub fn download_name(key: &str) -> &str {
    let last = key.rsplit('/').next().unwrap_or(key);
    match last.split_once('-') {
        Some((id, name)) if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) && !name.is_empty() => name,
        _ => last,
    }
}

/// `Content-Disposition` for a download of `key`: shown in the browser for PDFs and images, saved
/// for any other type, under its file name either way. The name is already safe (ASCII letters,
/// digits, `.`, `-`, `_`), so it needs no quoting beyond the quotes.
pub fn content_disposition(key: &str, content_type: &str) -> String {
    let inline = content_type == "application/pdf" || content_type.starts_with("image/");
    let name = safe_filename(download_name(key));
    format!("{}; filename=\"{name}\"", if inline { "inline" } else { "attachment" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_keep_the_uploaded_name() {
        let key = Storage::new_key(Visibility::Public, "opportunities", "Bid form (final).pdf");
        assert_eq!(download_name(&key), "Bid-form--final-.pdf");
        assert_eq!(content_disposition(&key, "application/pdf"), "inline; filename=\"Bid-form--final-.pdf\"");
        assert_eq!(content_disposition(&key, "text/csv"), "attachment; filename=\"Bid-form--final-.pdf\"");
        assert_eq!(download_name("private/x/notes.txt"), "notes.txt", "a key of another shape keeps its last part");
        assert_eq!(content_disposition("a/b/\"evil\".txt", "text/plain"), "attachment; filename=\"evil-.txt\"");
    }

    #[test]
    fn filenames_are_made_safe() {
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("C:\\Users\\bid form (final).pdf"), "bid-form--final-.pdf");
        assert_eq!(safe_filename(".htaccess"), "htaccess");
        assert_eq!(safe_filename("///"), "file");
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n%..."), "application/pdf");
        assert_eq!(sniff(b"a,b,c\n1,2,3\n"), "text/csv");
        assert_eq!(sniff(&[0, 159, 146, 150]), "application/octet-stream");
    }
}
