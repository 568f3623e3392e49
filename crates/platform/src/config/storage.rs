//! Files on S3: the bucket (`S3_BUCKET_NAME` and aliases), `ENABLE_MEDIA_UPLOAD_TO_S3`, the
//! access key (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`), region and endpoint.
//!
//! Rules: naming a bucket turns S3 on unless `ENABLE_MEDIA_UPLOAD_TO_S3` is false; turning it on
//! without a bucket is an error; the key comes in both halves or neither. The rest is read only
//! when S3 is on. Without S3, files go to `UPLOAD_FOLDER`.

use url::Url;

use super::env::Vars;
use super::secret::Secret;
use super::var;

#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    pub region: String,
    /// An S3-compatible endpoint (path-style requests); `None` for AWS.
    pub endpoint: Option<Url>,
}

impl S3Config {
    pub(super) fn read(vars: &mut Vars<'_>) -> Option<Self> {
        let toggle = vars.first(var::ENABLE_MEDIA_UPLOAD_TO_S3).is_some();
        let enabled = vars.flag(var::ENABLE_MEDIA_UPLOAD_TO_S3, true);
        let Some(bucket) = vars.string(var::S3_BUCKET_NAME) else {
            if toggle && enabled {
                vars.error("S3_BUCKET_NAME", "ENABLE_MEDIA_UPLOAD_TO_S3 is on but no bucket is named");
            }
            return None;
        };
        if !enabled {
            return None;
        }
        let access_key_id = vars.string(var::AWS_ACCESS_KEY_ID);
        let secret_access_key = vars.string(var::AWS_SECRET_ACCESS_KEY).map(Secret::new);
        match (access_key_id.is_some(), secret_access_key.is_some()) {
            (true, false) => vars.error("AWS_SECRET_ACCESS_KEY", "must be set too when AWS_ACCESS_KEY_ID is"),
            (false, true) => vars.error("AWS_ACCESS_KEY_ID", "must be set too when AWS_SECRET_ACCESS_KEY is"),
            _ => {}
        }
        let endpoint = match vars.first(var::S3_ENDPOINT) {
            None => None,
            Some((name, raw)) => {
                let with_scheme = if raw.contains("://") { raw.clone() } else { format!("https://{raw}") };
                match Url::parse(&with_scheme) {
                    Ok(u) if u.host_str().is_some() => Some(u),
                    _ => {
                        vars.error(name, format!("{raw:?} is not an endpoint URL like http://127.0.0.1:5055"));
                        None
                    }
                }
            }
        };
        let region = vars.string_or(var::S3_REGION, "us-east-1");
        Some(S3Config { bucket, access_key_id, secret_access_key, region, endpoint })
    }

    pub fn describe(&self) -> String {
        match &self.endpoint {
            Some(e) => format!("S3 bucket {} at {}", self.bucket, e.origin().ascii_serialization()),
            None => format!("S3 bucket {} ({})", self.bucket, self.region),
        }
    }
}
