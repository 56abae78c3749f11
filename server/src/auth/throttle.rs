//! Slowing down token guessing: a client (its address bucket, see
//! [`crate::http::client`]) may fail a few times for free; after that each
//! failure makes it wait twice as long as the last before it may try again,
//! up to a cap. Under attack (many failures across all clients, counted in
//! the database by the caller) no failure is free. Kept in memory per replica, like the submission rate limit:
//! with several replicas a guesser meets the limit on each of them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::limits::{
    AUTH_DELAY_BASE, AUTH_DELAY_MAX, AUTH_FAILURES_REMEMBERED, FREE_AUTH_FAILURES,
    MAX_TRACKED_CLIENTS,
};

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    wait_until: Instant,
}

/// Failed attempts per client, shared by every request.
#[derive(Default)]
pub struct Throttle {
    clients: Mutex<HashMap<IpAddr, Failures>>,
}

impl Throttle {
    /// `Ok` when `client` may try a token now, or the whole seconds it must
    /// wait.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.check_at(client, Instant::now())
    }

    /// Counts a failure of `client`; returns how many it has made. Under
    /// attack (many failures across all clients) it has no free failures.
    pub fn failed(&self, client: IpAddr, under_attack: bool) -> u32 {
        self.failed_at(client, Instant::now(), under_attack)
    }

    fn check_at(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match clients.get(&client) {
            Some(f) if f.wait_until > now => {
                let wait = f.wait_until.duration_since(now).as_secs_f64();
                // Whole seconds, rounded up, at least 1 (Retry-After is integral).
                Err(wait.ceil().max(1.0) as u64)
            }
            _ => Ok(()),
        }
    }

    fn failed_at(&self, client: IpAddr, now: Instant, under_attack: bool) -> u32 {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if clients.len() >= MAX_TRACKED_CLIENTS && !clients.contains_key(&client) {
            // Bounded memory under a flood of addresses: forget the quiet
            // first, then those not waiting; if all are waiting, this new
            // client goes uncounted (it had free failures left anyway).
            clients.retain(|_, f| now.duration_since(f.last) < AUTH_FAILURES_REMEMBERED);
            if clients.len() >= MAX_TRACKED_CLIENTS {
                clients.retain(|_, f| f.wait_until > now);
            }
            if clients.len() >= MAX_TRACKED_CLIENTS {
                return 1;
            }
        }
        let entry = clients.entry(client).or_insert(Failures {
            count: 0,
            last: now,
            wait_until: now,
        });
        if now.duration_since(entry.last) >= AUTH_FAILURES_REMEMBERED {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        let free = if under_attack { 0 } else { FREE_AUTH_FAILURES };
        entry.wait_until = now + delay_after(entry.count, free);
        entry.count
    }
}

/// The wait after the `count`th failure: none for the `free` ones, then
/// doubling from the base up to the cap.
fn delay_after(count: u32, free: u32) -> Duration {
    let Some(beyond) = count.checked_sub(free + 1) else {
        return Duration::ZERO;
    };
    AUTH_DELAY_BASE
        .checked_mul(2u32.saturating_pow(beyond.min(31)))
        .map_or(AUTH_DELAY_MAX, |d| d.min(AUTH_DELAY_MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_failures_are_free_then_each_doubles_the_wait_up_to_the_cap() {
        for count in 1..=FREE_AUTH_FAILURES {
            assert_eq!(delay_after(count, FREE_AUTH_FAILURES), Duration::ZERO);
        }
        assert_eq!(
            delay_after(FREE_AUTH_FAILURES + 1, FREE_AUTH_FAILURES),
            AUTH_DELAY_BASE
        );
        assert_eq!(
            delay_after(FREE_AUTH_FAILURES + 2, FREE_AUTH_FAILURES),
            AUTH_DELAY_BASE * 2
        );
        assert_eq!(
            delay_after(FREE_AUTH_FAILURES + 3, FREE_AUTH_FAILURES),
            AUTH_DELAY_BASE * 4
        );
        assert_eq!(delay_after(u32::MAX, FREE_AUTH_FAILURES), AUTH_DELAY_MAX);
        // Under attack there are none free.
        assert_eq!(delay_after(1, 0), AUTH_DELAY_BASE);
    }

    #[test]
    fn a_client_waits_after_its_free_failures_and_others_do_not() {
        let throttle = Throttle::default();
        let client: IpAddr = [192, 0, 2, 1].into();
        let other: IpAddr = [192, 0, 2, 2].into();
        let start = Instant::now();
        for _ in 0..FREE_AUTH_FAILURES {
            throttle.failed_at(client, start, false);
            assert_eq!(throttle.check_at(client, start), Ok(()));
        }
        throttle.failed_at(client, start, false);
        assert_eq!(
            throttle.check_at(client, start),
            Err(AUTH_DELAY_BASE.as_secs())
        );
        assert_eq!(throttle.check_at(other, start), Ok(()));
        assert_eq!(throttle.check_at(client, start + AUTH_DELAY_BASE), Ok(()));
        // Failures are forgotten after a quiet day.
        let later = start + AUTH_FAILURES_REMEMBERED;
        assert_eq!(throttle.failed_at(client, later, false), 1);
    }

    #[test]
    fn a_flood_of_addresses_cannot_grow_the_table_past_its_limit() {
        let throttle = Throttle::default();
        let start = Instant::now();
        let address = |n: u32| IpAddr::from(n.to_be_bytes());
        for n in 0..=u32::try_from(MAX_TRACKED_CLIENTS).expect("fits") {
            for _ in 0..=FREE_AUTH_FAILURES {
                throttle.failed_at(address(n), start, false);
            }
        }
        let len = throttle.clients.lock().expect("lock").len();
        assert!(len <= MAX_TRACKED_CLIENTS, "{len}");
        // Those already waiting still wait.
        assert!(throttle.check_at(address(0), start).is_err());
    }
}
