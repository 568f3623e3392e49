//! Signed links for vendors, who have no passwords: to manage their subscriptions and to
//! unsubscribe in one click. A link names the vendor and carries an HMAC of the vendor id and
//! the link's purpose under a key derived from the application secret, so it cannot be made
//! for another vendor or used for the other purpose. They do not expire: an unsubscribe link in
//! an old email must still work.

use platform::config::Secret;
use platform::secrets::{derive_key, hmac_sha256, verify_hex};
use url::Url;

#[derive(Clone)]
pub struct VendorLinks {
    key: Vec<u8>,
    base: Url,
}

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Manage,
    Unsubscribe,
    /// Confirming the address after sign-up (double opt-in).
    Confirm,
}

impl Purpose {
    fn name(self) -> &'static str {
        match self {
            Purpose::Manage => "manage",
            Purpose::Unsubscribe => "unsubscribe",
            Purpose::Confirm => "confirm",
        }
    }
}

impl VendorLinks {
    /// Links under `base` (the site's public URL).
    pub fn new(secret: &Secret, base: Url) -> VendorLinks {
        VendorLinks { key: derive_key(secret, "beacon.vendor-links"), base }
    }

    fn message(purpose: Purpose, vendor_id: i32) -> String {
        format!("{}:{vendor_id}", purpose.name())
    }

    pub fn signature(&self, purpose: Purpose, vendor_id: i32) -> String {
        hex::encode(hmac_sha256(&self.key, Self::message(purpose, vendor_id).as_bytes()))
    }

    pub fn verify(&self, purpose: Purpose, vendor_id: i32, sig: &str) -> bool {
        verify_hex(&self.key, Self::message(purpose, vendor_id).as_bytes(), sig)
    }

    fn url(&self, purpose: Purpose, vendor_id: i32) -> Url {
        let mut url = self.base.clone();
        url.set_path(&format!("/beacon/vendors/{vendor_id}/{}", purpose.name()));
        url.set_query(Some(&format!("sig={}", self.signature(purpose, vendor_id))));
        url
    }

    pub fn manage(&self, vendor_id: i32) -> Url {
        self.url(Purpose::Manage, vendor_id)
    }

    pub fn unsubscribe(&self, vendor_id: i32) -> Url {
        self.url(Purpose::Unsubscribe, vendor_id)
    }

    pub fn confirm(&self, vendor_id: i32) -> Url {
        self.url(Purpose::Confirm, vendor_id)
    }

    fn follow_message(vendor_id: i32, opportunity_id: i32) -> String {
        format!("follow:{vendor_id}:{opportunity_id}")
    }

    /// A link for an existing vendor to follow one opportunity (asked for by typing an address,
    /// so it is mailed to that address rather than done at once).
    pub fn follow(&self, vendor_id: i32, opportunity_id: i32) -> Url {
        let sig = hex::encode(hmac_sha256(&self.key, Self::follow_message(vendor_id, opportunity_id).as_bytes()));
        let mut url = self.base.clone();
        url.set_path(&format!("/beacon/vendors/{vendor_id}/follow/{opportunity_id}"));
        url.set_query(Some(&format!("sig={sig}")));
        url
    }

    pub fn verify_follow(&self, vendor_id: i32, opportunity_id: i32, sig: &str) -> bool {
        verify_hex(&self.key, Self::follow_message(vendor_id, opportunity_id).as_bytes(), sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_good_for_its_vendor_and_purpose_only() {
        let links = VendorLinks::new(&Secret::new("s3cret"), Url::parse("https://buy.example.gov").expect("url"));
        let sig = links.signature(Purpose::Unsubscribe, 7);
        assert!(links.verify(Purpose::Unsubscribe, 7, &sig));
        assert!(!links.verify(Purpose::Unsubscribe, 8, &sig));
        assert!(!links.verify(Purpose::Manage, 7, &sig));
        assert!(!links.verify(Purpose::Unsubscribe, 7, "00"));
        let other = VendorLinks::new(&Secret::new("other"), Url::parse("https://buy.example.gov").expect("url"));
        assert!(!other.verify(Purpose::Unsubscribe, 7, &sig));
        assert_eq!(
            links.unsubscribe(7).as_str(),
            format!("https://buy.example.gov/beacon/vendors/7/unsubscribe?sig={sig}")
        );
    }
}
