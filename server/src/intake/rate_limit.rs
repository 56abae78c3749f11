//! Per-client rate limiting of submissions: a token bucket per client
//! address, in memory only. Addresses are never stored or logged.
//!
//! With several replicas each keeps its own buckets, so the effective limit
//! is the configured one times the number of replicas a client reaches; the
//! limit exists to stop floods, and a flood through a load balancer still
//! meets it on every replica.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::config::RateLimit;
use crate::http::client::bucket_of;

use crate::limits::MAX_TRACKED_CLIENTS;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The limiter shared by all requests.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            per_second: f64::from(limit.submissions_per_minute) / 60.0,
            burst: f64::from(limit.burst),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `client`, or says how many seconds to wait.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.check_at(client, Instant::now())
    }

    fn check_at(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let client = bucket_of(client);
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED_CLIENTS {
            let (per_second, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < burst
            });
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            // Whole seconds, rounded up, at least 1 (Retry-After is integral).
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_a_burst_then_refills_at_the_rate() {
        let limiter = RateLimiter::new(RateLimit {
            submissions_per_minute: 60,
            burst: 3,
        });
        let client: IpAddr = [127, 0, 0, 1].into();
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at(client, start), Ok(()));
        }
        assert_eq!(limiter.check_at(client, start), Err(1));
        assert_eq!(
            limiter.check_at(client, start + Duration::from_millis(1_100)),
            Ok(())
        );
        let other: IpAddr = [127, 0, 0, 2].into();
        assert_eq!(limiter.check_at(other, start), Ok(()));
    }

    #[test]
    fn an_ipv6_client_cannot_leave_its_bucket_by_moving_within_its_64() {
        let limiter = RateLimiter::new(RateLimit {
            submissions_per_minute: 60,
            burst: 2,
        });
        let start = Instant::now();
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert_eq!(limiter.check_at(ip("2001:db8:1:2::1"), start), Ok(()));
        assert_eq!(limiter.check_at(ip("2001:db8:1:2:ffff::9"), start), Ok(()));
        assert_eq!(limiter.check_at(ip("2001:db8:1:2:abcd::7"), start), Err(1));
        // Another /64 is another client; a mapped IPv4 address is that IPv4.
        assert_eq!(limiter.check_at(ip("2001:db8:1:3::1"), start), Ok(()));
        assert_eq!(limiter.check_at(ip("192.0.2.1"), start), Ok(()));
        assert_eq!(limiter.check_at(ip("::ffff:192.0.2.1"), start), Ok(()));
        assert_eq!(limiter.check_at(ip("::ffff:192.0.2.1"), start), Err(1));
    }
}
