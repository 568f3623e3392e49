//! A repository address as it may be published (`/__version__`'s `source`): without the user
//! name and password (or CI token) a clone's address can carry. Shared by `build.rs`, which
//! records the address at build time, and the tests.

/// `url` without credentials: `https://x-token:abc@host/path` → `https://host/path`, and the
/// user of an scp-style address (`git@host:owner/repo`) dropped too (`host:owner/repo`).
pub fn without_credentials(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        return if rest.contains('/') { format!("{scheme}://{host}/{path}") } else { format!("{scheme}://{host}") };
    }
    // scp-like: [user@]host:path, where the user comes before the first ':'.
    match url.split_once(':') {
        Some((user_host, path)) => {
            let host = user_host.rsplit_once('@').map_or(user_host, |(_, host)| host);
            format!("{host}:{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_credentials;

    #[test]
    fn credentials_never_reach_the_published_address() {
        for (given, published) in [
            ("https://x-access-token:ghs_abc@github.com/city/procure.git", "https://github.com/city/procure.git"),
            ("https://user:p%40ss@git.example.gov:8443/procure", "https://git.example.gov:8443/procure"),
            ("https://github.com/city/procure", "https://github.com/city/procure"),
            ("git@github.com:city/procure.git", "github.com:city/procure.git"),
            ("ssh://git@github.com/city/procure.git", "ssh://github.com/city/procure.git"),
            ("", ""),
        ] {
            assert_eq!(without_credentials(given), published, "{given}");
        }
    }
}
