//! Which client a request counts against, for the submission rate limit and
//! the sign-in throttle alike: the address (behind the review's own proxies,
//! the one they recorded) and its bucket (an IPv6 client by its /64).

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

use crate::config::Config;

/// The bucket of the client that sent a request with these `headers` over a
/// connection from `peer`, as the configuration says to read it.
pub fn client_bucket(config: &Config, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    bucket_of(client_address(
        config.trust_forwarded_for.then_some(config.trusted_proxies),
        headers,
        peer,
    ))
}

/// The address used for limits only. Behind the review's own
/// proxies (`trust_forwarded_for`), the entry of `X-Forwarded-For` that the
/// outermost of the `trusted_proxies` appended, counted from the right: what
/// the client wrote to its left is ignored, so it cannot pick its own bucket.
/// `trusted_proxies` is `None` when the header is not trusted at all.
fn client_address(trusted_proxies: Option<usize>, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    if let Some(trusted_proxies) = trusted_proxies {
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let added = entries.len().saturating_sub(trusted_proxies);
        if let Some(ip) = entries.get(added).and_then(|v| v.parse().ok()) {
            return ip;
        }
    }
    peer.ip()
}

/// The bucket an address counts against: an IPv4 address on its own (an
/// IPv4-mapped IPv6 one too), an IPv6 address by its /64, since one
/// household or phone is given a whole /64 and can pick any address in it.
pub fn bucket_of(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(_) => client,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().expect("header value"));
        }
        headers
    }

    #[test]
    fn the_rate_limit_takes_the_address_the_trusted_proxy_added_not_what_the_client_wrote() {
        let peer: SocketAddr = "10.0.0.9:443".parse().expect("peer");
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        // The client wrote 1.1.1.1; the review's proxy appended 203.0.113.7.
        let spoofed = forwarded(&["1.1.1.1, 203.0.113.7"]);
        assert_eq!(client_address(Some(1), &spoofed, peer), ip("203.0.113.7"));
        // Two proxies of the review's own: a CDN appended the client, the
        // load balancer appended the CDN.
        let chain = forwarded(&["1.1.1.1, 203.0.113.7", "198.51.100.2"]);
        assert_eq!(client_address(Some(2), &chain, peer), ip("203.0.113.7"));
        assert_eq!(client_address(Some(1), &chain, peer), ip("198.51.100.2"));
        // Fewer entries than proxies: the outermost one there is.
        assert_eq!(client_address(Some(3), &spoofed, peer), ip("1.1.1.1"));
        // Not trusted, missing or unreadable: the connection's address.
        assert_eq!(client_address(None, &spoofed, peer), peer.ip());
        assert_eq!(client_address(Some(1), &HeaderMap::new(), peer), peer.ip());
        assert_eq!(
            client_address(Some(1), &forwarded(&["x, nonsense"]), peer),
            peer.ip()
        );
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_a_mapped_ipv4_client_is_that_ipv4() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert_eq!(bucket_of(ip("2001:db8:1:2:ffff::9")), ip("2001:db8:1:2::"));
        assert_eq!(bucket_of(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(bucket_of(ip("192.0.2.1")), ip("192.0.2.1"));
    }
}
