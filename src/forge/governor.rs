//! The rate governor: one per forge host, shared by every thread that talks to it.
//!
//! What GitHub asks of integrations that mutate (docs, "Best practices for using the REST API"):
//! one mutating request at a time, at least one second apart; after a primary limit
//! (`x-ratelimit-remaining: 0`) wait until `x-ratelimit-reset`; after a secondary limit (403 or
//! 429) wait `Retry-After` seconds, else at least a minute, longer each time. GitLab answers 429
//! with `Retry-After` and `RateLimit-Reset`. multi-gitter paces the same way. A 5xx is retried
//! with a doubling back-off; every wait is bounded ([`Options::max_wait`]) and reported to an
//! observer first, so the CLI can say so and save its progress before a long one.
//!
//! Time goes through [`Clock`], so the tests of this module never sleep.

use super::http::Reply;
use super::Error;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where the governor reads the time and sleeps.
pub trait Clock: Send + Sync {
    /// Monotonic time since some fixed start.
    fn now(&self) -> Duration;
    /// Time since the Unix epoch, to read `x-ratelimit-reset`.
    fn unix_now(&self) -> Duration;
    fn sleep(&self, duration: Duration);
}

/// The machine's clock.
pub struct SystemClock {
    start: Instant,
}

impl Default for SystemClock {
    fn default() -> SystemClock {
        SystemClock {
            start: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
    fn unix_now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration)
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Between the starts of two mutating requests to one host.
    pub min_interval: Duration,
    /// Attempts of one request, the first included, before giving up.
    pub max_attempts: u32,
    /// The first wait after a 5xx or a failed connection; doubled at each retry.
    pub backoff: Duration,
    /// The wait after a secondary limit that says nothing of how long (GitHub: "at least one
    /// minute"); doubled each time it happens again.
    pub secondary_wait: Duration,
    /// A longer wait is refused ([`Error::RateLimited`]): run again later.
    pub max_wait: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            min_interval: Duration::from_secs(1),
            max_attempts: 5,
            backoff: Duration::from_secs(1),
            secondary_wait: Duration::from_secs(60),
            max_wait: Duration::from_secs(3600),
        }
    }
}

/// A wait the governor is about to make, given to the observer before it sleeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    pub host: String,
    pub duration: Duration,
    pub reason: WaitReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// The minimum interval between mutating requests.
    Pacing,
    /// The host's request budget is spent until its reset time.
    RateLimit,
    /// The host answered 403 or 429 asking to slow down.
    SecondaryLimit,
    /// The host answered this 5xx status.
    ServerError(u16),
    /// The connection failed.
    Transport,
}

impl Wait {
    /// `waiting 37 s for github.com's rate limit`, for the CLI.
    pub fn describe(&self) -> String {
        let secs = self.duration.as_secs_f64();
        let secs = if secs >= 10.0 {
            format!("{:.0} s", secs)
        } else {
            format!("{:.1} s", secs)
        };
        match self.reason {
            WaitReason::Pacing => format!("waiting {secs} between requests to {}", self.host),
            WaitReason::RateLimit => format!("waiting {secs} for {}'s rate limit", self.host),
            WaitReason::SecondaryLimit => {
                format!("waiting {secs}: {} asked to slow down", self.host)
            }
            WaitReason::ServerError(status) => {
                format!("{} answered {status}; retrying in {secs}", self.host)
            }
            WaitReason::Transport => format!("cannot reach {}; retrying in {secs}", self.host),
        }
    }
}

/// Told of every wait before it starts, on the waiting thread, with no lock of the governor's
/// held except, for a mutating request, the host's turn: it may print, save a report or
/// estimate the time left, but must not send a mutating request to the same host itself.
pub type Observer = Arc<dyn Fn(&Wait) + Send + Sync>;

/// A request that got no answer: the error to report, and whether sending it again may help (a
/// refused or reset connection, a timeout; not a certificate the system does not trust).
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub retry: bool,
}

/// One forge host's governor.
pub struct Governor {
    host: String,
    options: Options,
    clock: Arc<dyn Clock>,
    observer: Option<Observer>,
    state: Mutex<State>,
    /// Held by a mutating request from its wait to its answer: one at a time per host, as
    /// GitHub asks, so the interval is between one's answer and the next one's start.
    serial: Mutex<()>,
}

#[derive(Default)]
struct State {
    /// When the last mutating request was answered.
    last_mutation: Option<Duration>,
    /// No request may start before this (a rate limit), and why.
    blocked_until: Duration,
    blocked_reason: Option<WaitReason>,
    /// Secondary limits met in a row, for the growing wait.
    secondary_streak: u32,
}

impl Governor {
    pub fn new(
        host: impl Into<String>,
        options: Options,
        clock: Arc<dyn Clock>,
        observer: Option<Observer>,
    ) -> Governor {
        Governor {
            host: host.into(),
            options,
            clock,
            observer,
            state: Mutex::new(State::default()),
            serial: Mutex::new(()),
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Runs one request through the governor: waits for its turn, sends it with `send` (which
    /// returns the reply, or why none came), and retries as the answer asks. The reply returned
    /// may be any status but a retried one; the caller reads it.
    pub fn run(
        &self,
        mutating: bool,
        mut send: impl FnMut() -> Result<Reply, Failure>,
    ) -> Result<Reply, Error> {
        let _serial = mutating.then(|| self.serial.lock().unwrap_or_else(|e| e.into_inner()));
        let mut attempt = 1;
        loop {
            self.wait_turn(mutating)?;
            let result = send();
            if mutating {
                self.lock().last_mutation = Some(self.clock.now());
            }
            let retry = match &result {
                Ok(reply) => self.judge(reply, attempt),
                Err(failure) if failure.retry => {
                    Some((self.backoff(attempt), WaitReason::Transport))
                }
                Err(_) => None,
            };
            let Some((wait, reason)) = retry else {
                if let Ok(reply) = &result {
                    if !matches!(reply.status, 403 | 429) {
                        self.lock().secondary_streak = 0;
                    }
                }
                return result.map_err(|failure| failure.error);
            };
            if attempt >= self.options.max_attempts {
                let last = match result {
                    Ok(reply) => format!("last answer {}", reply.status),
                    Err(failure) => failure.error.to_string(),
                };
                return Err(Error::GaveUp {
                    host: self.host.clone(),
                    attempts: attempt,
                    last,
                });
            }
            attempt += 1;
            if matches!(reason, WaitReason::ServerError(_) | WaitReason::Transport) {
                // Only this request failed: it alone waits.
                self.sleep(wait, reason)?;
            } else {
                // A limit holds for every request to the host, from every thread.
                let mut state = self.lock();
                let until = self.clock.now() + wait;
                if until > state.blocked_until {
                    state.blocked_until = until;
                    state.blocked_reason = Some(reason);
                }
            }
        }
    }

    /// Waits until a request may start: after any limit, and a mutating one the interval
    /// after the last mutating request's answer.
    fn wait_turn(&self, mutating: bool) -> Result<(), Error> {
        let (wait, reason) = {
            let state = self.lock();
            let now = self.clock.now();
            let blocked = state.blocked_until.saturating_sub(now);
            let paced = match state.last_mutation {
                Some(last) if mutating => (last + self.options.min_interval).saturating_sub(now),
                _ => Duration::ZERO,
            };
            let wait = blocked.max(paced);
            if wait > self.options.max_wait {
                return Err(Error::RateLimited {
                    host: self.host.clone(),
                    wait,
                    max_wait: self.options.max_wait,
                });
            }
            let reason = if blocked >= paced {
                state.blocked_reason.unwrap_or(WaitReason::RateLimit)
            } else {
                WaitReason::Pacing
            };
            (wait, reason)
        };
        if !wait.is_zero() {
            self.notify(wait, reason);
            self.clock.sleep(wait);
        }
        Ok(())
    }

    fn sleep(&self, wait: Duration, reason: WaitReason) -> Result<(), Error> {
        if wait > self.options.max_wait {
            return Err(Error::RateLimited {
                host: self.host.clone(),
                wait,
                max_wait: self.options.max_wait,
            });
        }
        self.notify(wait, reason);
        self.clock.sleep(wait);
        Ok(())
    }

    fn notify(&self, duration: Duration, reason: WaitReason) {
        if let Some(observer) = &self.observer {
            observer(&Wait {
                host: self.host.clone(),
                duration,
                reason,
            });
        }
    }

    /// Reads a reply's rate-limit headers into the host's state, and says whether (and after
    /// how long) to send the request again.
    fn judge(&self, reply: &Reply, attempt: u32) -> Option<(Duration, WaitReason)> {
        let number = |name: &str| -> Option<u64> { reply.header(name)?.trim().parse().ok() };
        let remaining = number("x-ratelimit-remaining").or_else(|| number("ratelimit-remaining"));
        let reset = number("x-ratelimit-reset").or_else(|| number("ratelimit-reset"));
        let retry_after = number("retry-after").map(Duration::from_secs);
        // A reset in the past, or a clock skewed from the forge's, still waits a moment.
        let until_reset = reset.map(|reset| {
            Duration::from_secs(reset)
                .saturating_sub(self.clock.unix_now())
                .max(Duration::from_secs(1))
        });
        if remaining == Some(0) {
            if let Some(wait) = until_reset {
                let mut state = self.lock();
                let until = self.clock.now() + wait;
                if until > state.blocked_until {
                    state.blocked_until = until;
                    state.blocked_reason = Some(WaitReason::RateLimit);
                }
            }
        }
        let status = reply.status;
        let limited = status == 429
            || (status == 403
                && (retry_after.is_some()
                    || remaining == Some(0)
                    || reply.body.to_ascii_lowercase().contains("rate limit")));
        if limited {
            if let Some(wait) = retry_after {
                return Some((wait, WaitReason::SecondaryLimit));
            }
            if remaining == Some(0) {
                if let Some(wait) = until_reset {
                    return Some((wait, WaitReason::RateLimit));
                }
            }
            let mut state = self.lock();
            state.secondary_streak += 1;
            let factor = 1u32 << (state.secondary_streak - 1).min(6);
            return Some((
                self.options.secondary_wait * factor,
                WaitReason::SecondaryLimit,
            ));
        }
        if (500..=599).contains(&status) {
            let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
            return Some((wait, WaitReason::ServerError(status)));
        }
        None
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.options.backoff * (1u32 << (attempt - 1).min(10))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The governors of every forge host a run talks to, one each, made on first use.
pub struct Governors {
    options: Options,
    clock: Arc<dyn Clock>,
    observer: Option<Observer>,
    by_host: Mutex<HashMap<String, Arc<Governor>>>,
}

impl Governors {
    pub fn new(options: Options, clock: Arc<dyn Clock>, observer: Option<Observer>) -> Governors {
        Governors {
            options,
            clock,
            observer,
            by_host: Mutex::new(HashMap::new()),
        }
    }

    pub fn for_host(&self, host: &str) -> Arc<Governor> {
        let mut map = self.by_host.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(host.to_string())
            .or_insert_with(|| {
                Arc::new(Governor::new(
                    host,
                    self.options.clone(),
                    self.clock.clone(),
                    self.observer.clone(),
                ))
            })
            .clone()
    }
}

impl Default for Governors {
    fn default() -> Governors {
        Governors::new(Options::default(), Arc::new(SystemClock::default()), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Time that moves only when slept through.
    #[derive(Default)]
    struct FakeClock {
        now: Mutex<Duration>,
        slept: Mutex<Vec<Duration>>,
    }

    const EPOCH: u64 = 1_800_000_000;

    impl Clock for FakeClock {
        fn now(&self) -> Duration {
            *self.now.lock().unwrap()
        }
        fn unix_now(&self) -> Duration {
            Duration::from_secs(EPOCH) + self.now()
        }
        fn sleep(&self, d: Duration) {
            *self.now.lock().unwrap() += d;
            self.slept.lock().unwrap().push(d);
        }
    }

    fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        Reply {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.into(),
        }
    }

    struct Setup {
        clock: Arc<FakeClock>,
        governor: Governor,
        waits: Arc<Mutex<Vec<Wait>>>,
        /// When (on the fake clock) the observer heard of each wait.
        told_at: Arc<Mutex<Vec<Duration>>>,
    }

    fn setup(options: Options) -> Setup {
        let clock = Arc::new(FakeClock::default());
        let waits = Arc::new(Mutex::new(Vec::new()));
        let told_at = Arc::new(Mutex::new(Vec::new()));
        let (seen, told, time) = (waits.clone(), told_at.clone(), clock.clone());
        let observer: Observer = Arc::new(move |w: &Wait| {
            seen.lock().unwrap().push(w.clone());
            told.lock().unwrap().push(time.now());
        });
        let governor = Governor::new("github.com", options, clock.clone(), Some(observer));
        Setup {
            clock,
            governor,
            waits,
            told_at,
        }
    }

    /// Sends one request answered by `replies` in turn; returns the final status and the times
    /// (on the fake clock) at which each attempt was sent.
    fn send(
        s: &Setup,
        mutating: bool,
        replies: Vec<Result<Reply, Failure>>,
    ) -> (Result<u16, String>, Vec<Duration>) {
        let mut replies: VecDeque<_> = replies.into();
        let mut sent = Vec::new();
        let result = s.governor.run(mutating, || {
            sent.push(s.clock.now());
            replies.pop_front().expect("no more replies")
        });
        (result.map(|r| r.status).map_err(|e| e.to_string()), sent)
    }

    fn reset() -> Failure {
        Failure {
            error: Error::Transport {
                method: "POST",
                url: "https://api.github.com/x".into(),
                message: "connection reset".into(),
            },
            retry: true,
        }
    }

    #[test]
    fn a_failure_that_cannot_heal_is_not_retried() {
        let s = setup(Options::default());
        let failure = Failure {
            error: Error::Transport {
                method: "GET",
                url: "https://ghe.example.com/api/v3/x".into(),
                message: "invalid peer certificate: UnknownIssuer".into(),
            },
            retry: false,
        };
        let (status, sent) = send(&s, false, vec![Err(failure)]);
        assert_eq!(
            status,
            Err(
                "GET https://ghe.example.com/api/v3/x: invalid peer certificate: UnknownIssuer"
                    .into()
            )
        );
        assert_eq!(sent.len(), 1);
        // One that can is retried, and named when the attempts run out.
        let s = setup(Options {
            max_attempts: 2,
            ..Options::default()
        });
        let (status, _) = send(&s, true, vec![Err(reset()), Err(reset())]);
        assert_eq!(
            status,
            Err("github.com still refuses after 2 attempts (POST https://api.github.com/x: connection reset)".into())
        );
    }

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn mutating_requests_are_paced_reads_are_not() {
        let s = setup(Options::default());
        let ok = || vec![Ok(reply(200, &[], ""))];
        assert_eq!(send(&s, true, ok()).1, [secs(0.0)]);
        assert_eq!(send(&s, false, ok()).1, [secs(0.0)]);
        assert_eq!(send(&s, true, ok()).1, [secs(1.0)]);
        assert_eq!(send(&s, true, ok()).1, [secs(2.0)]);
        let waits = s.waits.lock().unwrap();
        assert!(waits.iter().all(|w| w.reason == WaitReason::Pacing));
        assert_eq!(
            waits[0].describe(),
            "waiting 1.0 s between requests to github.com"
        );
    }

    #[test]
    fn secondary_limit_waits_retry_after_then_retries() {
        let s = setup(Options::default());
        let (status, sent) = send(
            &s,
            true,
            vec![
                Ok(reply(
                    403,
                    &[("retry-after", "37")],
                    r#"{"message":"You have exceeded a secondary rate limit"}"#,
                )),
                Ok(reply(201, &[], "")),
            ],
        );
        assert_eq!(status, Ok(201));
        assert_eq!(sent, [secs(0.0), secs(37.0)]);
        let waits = s.waits.lock().unwrap();
        assert_eq!(
            waits[0].describe(),
            "waiting 37 s: github.com asked to slow down"
        );
        // Told before the wait, so the CLI can save its progress first.
        assert_eq!(*s.told_at.lock().unwrap(), [secs(0.0)]);
        drop(waits);
        // The next mutating request waits its interval after the retry's answer.
        assert_eq!(
            send(&s, true, vec![Ok(reply(200, &[], ""))]).1,
            [secs(38.0)]
        );
    }

    #[test]
    fn secondary_limit_without_retry_after_waits_a_minute_then_longer() {
        let s = setup(Options::default());
        let limited = || {
            Ok(reply(
                403,
                &[],
                r#"{"message":"You have exceeded a secondary rate limit."}"#,
            ))
        };
        let (status, sent) = send(
            &s,
            true,
            vec![limited(), limited(), Ok(reply(200, &[], ""))],
        );
        assert_eq!(status, Ok(200));
        assert_eq!(sent, [secs(0.0), secs(60.0), secs(180.0)]);
    }

    #[test]
    fn a_plain_403_is_an_answer_not_a_limit() {
        let s = setup(Options::default());
        let (status, sent) = send(
            &s,
            true,
            vec![Ok(reply(
                403,
                &[],
                r#"{"message":"Resource not accessible by integration"}"#,
            ))],
        );
        assert_eq!((status, sent.len()), (Ok(403), 1));
    }

    #[test]
    fn primary_limit_blocks_until_reset() {
        let s = setup(Options::default());
        let reset = (EPOCH + 120).to_string();
        let spent = [
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", reset.as_str()),
        ];
        // The last allowed request succeeds; the next waits for the reset.
        assert_eq!(
            send(&s, false, vec![Ok(reply(200, &spent, ""))]).1,
            [secs(0.0)]
        );
        assert_eq!(
            send(&s, false, vec![Ok(reply(200, &[], ""))]).1,
            [secs(120.0)]
        );
        assert_eq!(
            s.waits.lock().unwrap()[0].describe(),
            "waiting 120 s for github.com's rate limit"
        );
        // A 429 with GitLab's headers waits for RateLimit-Reset.
        let reset = (EPOCH + 120 + 30).to_string();
        let gitlab = [
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", reset.as_str()),
        ];
        let (status, sent) = send(
            &s,
            false,
            vec![Ok(reply(429, &gitlab, "")), Ok(reply(200, &[], ""))],
        );
        assert_eq!((status, sent), (Ok(200), vec![secs(120.0), secs(150.0)]));
    }

    #[test]
    fn server_errors_back_off_and_give_up() {
        let s = setup(Options::default());
        let (status, sent) = send(
            &s,
            true,
            vec![
                Ok(reply(502, &[], "")),
                Err(reset()),
                Ok(reply(201, &[], "")),
            ],
        );
        assert_eq!(status, Ok(201));
        assert_eq!(sent, [secs(0.0), secs(1.0), secs(3.0)]);
        let reasons: Vec<WaitReason> = s.waits.lock().unwrap().iter().map(|w| w.reason).collect();
        assert_eq!(
            reasons,
            [WaitReason::ServerError(502), WaitReason::Transport]
        );

        let s = setup(Options {
            max_attempts: 3,
            ..Options::default()
        });
        let (status, sent) = send(&s, false, (0..3).map(|_| Ok(reply(503, &[], ""))).collect());
        assert_eq!(
            status,
            Err("github.com still refuses after 3 attempts (last answer 503)".into())
        );
        assert_eq!(sent.len(), 3);
    }

    #[test]
    fn a_wait_longer_than_allowed_is_refused_not_slept() {
        let s = setup(Options {
            max_wait: secs(600.0),
            ..Options::default()
        });
        let (status, sent) = send(
            &s,
            true,
            vec![Ok(reply(429, &[("retry-after", "3600")], ""))],
        );
        assert_eq!(sent.len(), 1);
        let e = status.unwrap_err();
        assert!(
            e.contains("asks to wait 3600 s") && e.contains("run again later"),
            "{e}"
        );
        assert!(s.clock.slept.lock().unwrap().is_empty());
    }

    #[test]
    fn threads_share_one_pace() {
        let clock = Arc::new(FakeClock::default());
        let governors = Governors::new(Options::default(), clock.clone(), None);
        let a = governors.for_host("github.com");
        let b = governors.for_host("github.com");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &governors.for_host("gitlab.com")));
        let starts = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for g in [&a, &b, &a] {
                let starts = &starts;
                let clock = &clock;
                scope.spawn(move || {
                    g.run(true, || {
                        starts.lock().unwrap().push(clock.now());
                        Ok(reply(200, &[], ""))
                    })
                    .unwrap();
                });
            }
        });
        // One at a time, one interval apart, whichever thread came first.
        assert_eq!(*starts.lock().unwrap(), [secs(0.0), secs(1.0), secs(2.0)]);
    }
}
