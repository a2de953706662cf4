//! Rate limits (GCRA, via `governor`): per client IP on the endpoints that
//! take a credential or send mail ([`AUTH_LIMITED`]), per user — per IP
//! when anonymous — on the rest of `/api/` and `/ws` (signed-in auth calls
//! such as `GET /auth/sessions` or `logout` included).
//! Health, metrics, documentation and the console's static files
//! (`/console`) are never limited. Idle keys are
//! evicted by [`RateLimits::evict_idle`], so memory stays bounded however
//! many addresses call.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;
use uuid::Uuid;

/// The configured limits.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitConfig {
    /// Auth requests per minute per IP.
    pub auth_per_min: u32,
    /// Auth burst.
    pub auth_burst: u32,
    /// Other requests per second per user or IP.
    pub api_per_sec: u32,
    /// Other requests' burst.
    pub api_burst: u32,
}

/// Who a limit is counted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    /// An authenticated user.
    User(Uuid),
    /// An anonymous client.
    Ip(IpAddr),
}

/// Which limit a path falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// The credential and mail endpoints ([`AUTH_LIMITED`]): per IP.
    Auth,
    /// The rest of `/api/` and `/ws`: per user or IP.
    Api,
    /// Not limited.
    No,
}

/// The paths under `/api/v1/auth/` that fall under the auth limit: those
/// that take a credential or send mail. The OAuth `callback` is matched by
/// [`is_oauth_callback`].
pub const AUTH_LIMITED: [&str; 9] = [
    "register",
    "login",
    "token",
    "refresh",
    "password/forgot",
    "password/reset",
    "mfa/verify",
    "email/verify",
    "email/verify/request",
];

/// Whether `rest` (a path after `/api/v1/auth/`) is `oauth/<provider>/callback`.
fn is_oauth_callback(rest: &str) -> bool {
    rest.strip_prefix("oauth/")
        .and_then(|rest| rest.strip_suffix("/callback"))
        .is_some_and(|provider| !provider.is_empty() && !provider.contains('/'))
}

impl Limited {
    /// The limit for `path`.
    pub fn for_path(path: &str) -> Self {
        let auth = path.strip_prefix("/api/v1/auth/").is_some_and(|rest| {
            let rest = rest.strip_suffix('/').unwrap_or(rest);
            AUTH_LIMITED.contains(&rest) || is_oauth_callback(rest)
        });
        if auth {
            Self::Auth
        } else if path.starts_with("/api/") || path == "/ws" || path == "/ws/agent" {
            Self::Api
        } else {
            Self::No
        }
    }
}

/// The keyed limiters.
pub struct RateLimits {
    auth: DefaultKeyedRateLimiter<IpAddr>,
    api: DefaultKeyedRateLimiter<Caller>,
    clock: DefaultClock,
}

fn positive(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    /// Limiters for `config`.
    pub fn new(config: RateLimitConfig) -> Self {
        let auth = Quota::per_minute(positive(config.auth_per_min))
            .allow_burst(positive(config.auth_burst));
        let api =
            Quota::per_second(positive(config.api_per_sec)).allow_burst(positive(config.api_burst));
        Self {
            auth: DefaultKeyedRateLimiter::keyed(auth),
            api: DefaultKeyedRateLimiter::keyed(api),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request; `Err(wait)` when over the limit.
    pub fn check(&self, limited: Limited, ip: IpAddr, user: Option<Uuid>) -> Result<(), Duration> {
        let outcome = match limited {
            Limited::No => return Ok(()),
            Limited::Auth => self.auth.check_key(&ip),
            Limited::Api => self
                .api
                .check_key(&user.map_or(Caller::Ip(ip), Caller::User)),
        };
        outcome.map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets keys whose budget is full again (idle callers).
    pub fn evict_idle(&self) {
        self.auth.retain_recent();
        self.auth.shrink_to_fit();
        self.api.retain_recent();
        self.api.shrink_to_fit();
    }

    /// Keys currently tracked.
    pub fn tracked(&self) -> usize {
        self.auth.len() + self.api.len()
    }
}

/// `Retry-After` in whole seconds, at least 1.
pub fn retry_after(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.is_zero()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn limits(per_sec: u32, burst: u32) -> RateLimits {
        RateLimits::new(RateLimitConfig {
            auth_per_min: 60,
            auth_burst: 2,
            api_per_sec: per_sec,
            api_burst: burst,
        })
    }

    #[test]
    fn paths_fall_under_their_limit() {
        for credential in AUTH_LIMITED {
            let path = format!("/api/v1/auth/{credential}");
            assert_eq!(Limited::for_path(&path), Limited::Auth, "{path}");
        }
        assert_eq!(
            Limited::for_path("/api/v1/auth/oauth/acme-id/callback"),
            Limited::Auth
        );
        for signed_in in [
            "/api/v1/auth/sessions",
            "/api/v1/auth/sessions/0193a0b0-0000-7000-8000-000000000000",
            "/api/v1/auth/logout",
            "/api/v1/auth/logout-all",
            "/api/v1/auth/oauth/acme-id/authorize",
            "/api/v1/auth/oauth/a/b/callback",
            "/api/v1/auth/email/confirm",
            "/api/v1/auth/mfa/totp",
            "/api/v1/auth/loginx",
        ] {
            assert_eq!(Limited::for_path(signed_in), Limited::Api, "{signed_in}");
        }
        assert_eq!(Limited::for_path("/api/v1/items"), Limited::Api);
        assert_eq!(Limited::for_path("/ws"), Limited::Api);
        assert_eq!(Limited::for_path("/ws/agent"), Limited::Api);
        for free in [
            "/health/live",
            "/metrics",
            "/openapi.json",
            "/docs/",
            "/console",
            "/console/js/main.js",
        ] {
            assert_eq!(Limited::for_path(free), Limited::No);
        }
    }

    #[test]
    fn bursts_then_refuses_with_a_wait() {
        let limits = limits(1, 2);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        assert!(limits.check(Limited::Auth, ip, None).is_ok());
        assert!(limits.check(Limited::Auth, ip, None).is_ok());
        let wait = limits
            .check(Limited::Auth, ip, None)
            .expect_err("over the burst");
        assert!(retry_after(wait) >= 1);
        let user = Some(Uuid::now_v7());
        assert!(
            limits.check(Limited::Api, ip, user).is_ok(),
            "users have their own budget"
        );
    }

    #[test]
    fn idle_keys_are_evicted_so_memory_stays_bounded() {
        let limits = limits(1_000_000, 1);
        for i in 0..100_000u32 {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            assert!(limits.check(Limited::Api, ip, None).is_ok());
        }
        assert_eq!(limits.tracked(), 100_000);
        // At a million a second, a burst of one is replenished within a microsecond.
        std::thread::sleep(Duration::from_millis(5));
        limits.evict_idle();
        assert_eq!(limits.tracked(), 0);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after(Duration::from_millis(1)), 1);
        assert_eq!(retry_after(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after(Duration::ZERO), 1);
        assert_eq!(retry_after(Duration::from_secs(6)), 6);
    }
}
