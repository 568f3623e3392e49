//! The client's address: the peer, or behind a proxy on this machine or the private network
//! (nginx, Heroku's router), the proxy's own `X-Forwarded-For` entry. One decision, read by the
//! request log and by the limits on anonymous requests that send email.
//!
//! Invariant: an entry a client wrote itself is never believed. Only the rightmost
//! `X-Forwarded-For` entry, which the proxy appends, counts, and only when the connection
//! comes from a local or private address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

/// The requesting client's address (see [`client_ip`]), as a handler argument.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(of(parts)))
    }
}

/// The client's address of a request's head.
pub fn of(parts: &Parts) -> String {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    client_ip(&parts.headers, peer)
}

/// The client's address. When the connection comes from a proxy on this machine or the private
/// network (nginx, Heroku's router), the proxy's own entry — the rightmost of
/// `X-Forwarded-For`, which the client cannot forge — names the client; otherwise the peer does.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    let behind_proxy = peer.is_none_or(|p| is_local(p.ip()));
    // The rightmost entry only: if it is not an address, nothing to its left is trusted either.
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|s| s.trim().parse::<IpAddr>().ok());
    match (behind_proxy, forwarded, peer) {
        (true, Some(ip), _) => key(ip),
        (_, _, Some(p)) => key(p.ip()),
        (false, _, None) | (true, None, None) => "unknown".to_owned(),
    }
}

/// IPv6 clients are counted by their /64 (one home or office network), which they cannot
/// escape by rotating addresses; IPv4 by the address.
fn key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or_else(|| v6.to_string(), |v4| v4.to_string()),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.is_unique_local() || v6.to_ipv4_mapped().is_some_and(|v4| is_local(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn behind_a_local_proxy_the_rightmost_forwarded_address_counts() {
        let proxy: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        assert_eq!(client_ip(&headers(&["6.6.6.6, 203.0.113.9"]), Some(proxy)), "203.0.113.9");
        assert_eq!(client_ip(&headers(&["6.6.6.6", "203.0.113.9"]), Some(proxy)), "203.0.113.9");
        assert_eq!(client_ip(&headers(&[]), Some(proxy)), "127.0.0.1");
        assert_eq!(client_ip(&headers(&["203.0.113.9, junk"]), Some(proxy)), "127.0.0.1");
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_network() {
        let proxy: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        let a = client_ip(&headers(&["2001:db8:1:2:aaaa::1"]), Some(proxy));
        let b = client_ip(&headers(&["2001:db8:1:2:bbbb::9"]), Some(proxy));
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, b);
        assert_eq!(client_ip(&headers(&["::ffff:203.0.113.9"]), Some(proxy)), "203.0.113.9");
    }

    #[test]
    fn a_client_on_the_internet_cannot_choose_its_address() {
        let client: SocketAddr = "198.51.100.7:40000".parse().expect("addr");
        assert_eq!(client_ip(&headers(&["10.0.0.1"]), Some(client)), "198.51.100.7");
    }
}
