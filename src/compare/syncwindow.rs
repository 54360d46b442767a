//! AppProject sync windows with Argo CD's semantics (`SyncWindows` in Argo CD's
//! `pkg/apis/application/v1alpha1/types.go`).
//!
//! - [`SyncWindow::matches`]: application/cluster/namespace globs; the first set selector that
//!   matches wins, or with `andOperator` every set selector must match; a window without
//!   selectors matches nothing.
//! - [`SyncWindow::active`]: the time is shifted by the window's time-zone offset at that
//!   instant (IANA zone, DST-aware; empty or unknown → UTC, like Argo CD); the window is
//!   active iff the next cron firing after `shifted − duration` is strictly before `shifted`.
//! - [`SyncWindows::can_sync`]: no matching window → allowed; an active deny → denied (unless
//!   manual and all active denies allow manual sync, or an overrun rule applies); an active
//!   allow → allowed; inactive matching allows → denied (unless manual and all of them allow
//!   manual sync, or overrun); otherwise allowed. Deny wins over allow. Windows never change
//!   sync status; they gate sync operations only.
//! - [`SyncWindows::problems`]: invalid kind, schedule, duration, time zone, description
//!   length, deny-all windows and windows that can match nothing.

use crate::compare::cron::{parse_go_duration, CronSchedule};
use globset::GlobMatcher;
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub use crate::model::argocd::SyncWindow;

/// The application fields windows are matched against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppTarget<'a> {
    /// `metadata.name` of the Application.
    pub name: &'a str,
    /// `spec.destination.name`.
    pub destination_name: &'a str,
    /// `spec.destination.server`.
    pub destination_server: &'a str,
    /// `spec.destination.namespace`.
    pub destination_namespace: &'a str,
}

impl<'a> AppTarget<'a> {
    /// Reads name and destination from an Application object.
    pub fn from_application(app: &'a Value) -> AppTarget<'a> {
        let s = |p: &str| app.pointer(p).and_then(Value::as_str).unwrap_or("");
        AppTarget {
            name: s("/metadata/name"),
            destination_name: s("/spec/destination/name"),
            destination_server: s("/spec/destination/server"),
            destination_namespace: s("/spec/destination/namespace"),
        }
    }
}

/// A validation finding for one window, for a `sync-window-invalid` style rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowProblem {
    /// Index in `spec.syncWindows`.
    pub index: usize,
    /// The field concerned (`schedule`, `duration`, `timeZone`, `kind`, `description`,
    /// `selectors`), or `window` for whole-window findings.
    pub field: &'static str,
    /// What is wrong, with Argo CD's wording where Argo CD reports it.
    pub message: String,
}

/// Why [`SyncWindows::can_sync`] decided as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionReason {
    /// No window matches the application.
    NoMatchingWindow,
    /// An active deny window blocks the sync.
    ActiveDeny,
    /// Active deny windows all allow manual sync and the sync is manual.
    ActiveDenyManualAllowed,
    /// The operation started while allowed and every active deny window allows overrun.
    DenyOverrun,
    /// An active allow window permits the sync.
    ActiveAllow,
    /// Allow windows match but none is active.
    InactiveAllow,
    /// Inactive allow windows all allow manual sync and the sync is manual.
    InactiveAllowManualAllowed,
    /// The operation started while allowed and every inactive allow window allows overrun.
    AllowOverrun,
    /// Only inactive deny windows (or windows of another kind) match.
    NoActiveWindow,
    /// A matching window has an invalid schedule or duration; Argo CD then refuses to sync.
    InvalidWindow,
}

/// The outcome of [`SyncWindows::can_sync`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the sync may run.
    pub allowed: bool,
    /// The index (in `spec.syncWindows`) of the window that decided, if one did.
    pub deciding_window: Option<usize>,
    /// Why.
    pub reason: DecisionReason,
    /// The error text when `reason` is [`DecisionReason::InvalidWindow`].
    pub error: Option<String>,
}

/// How far [`SyncWindows::next_change`] looks ahead (8 days, minute steps).
pub const NEXT_CHANGE_HORIZON_MINUTES: i64 = 8 * 24 * 60;

fn tz_db() -> &'static TimeZoneDatabase {
    static DB: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DB.get_or_init(TimeZoneDatabase::bundled)
}

/// Resolves a window time zone like Go's `time.LoadLocation`: empty, `UTC` and `Local` are UTC
/// (Argo CD's controller runs with UTC as local time); names must match an IANA zone exactly
/// (case-sensitive, as on a Linux zoneinfo tree). `None` for an unknown name.
pub fn load_location(name: &str) -> Option<TimeZone> {
    match name {
        "" | "UTC" | "Local" => return Some(TimeZone::UTC),
        _ => {}
    }
    let tz = tz_db().get(name).ok()?;
    (tz.iana_name() == Some(name)).then_some(tz)
}

/// A window compiled once: schedule, duration, zone and selectors.
#[derive(Debug, Clone)]
struct Compiled {
    schedule: Result<CronSchedule, String>,
    duration: Result<i64, String>,
    tz: Option<TimeZone>,
    applications: Vec<Option<GlobMatcher>>,
    namespaces: Vec<Option<GlobMatcher>>,
    clusters: Vec<Option<GlobMatcher>>,
}

fn glob(pattern: &str) -> Option<GlobMatcher> {
    // gobwas without separators: `*` and `**` both match any run of characters.
    let p = pattern.replace("**", "*");
    globset::GlobBuilder::new(&p)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .ok()
        .map(|g| g.compile_matcher())
}

fn glob_match(pattern: &str, m: &Option<GlobMatcher>, value: &str) -> bool {
    pattern == "*" || m.as_ref().is_some_and(|m| m.is_match(value))
}

impl SyncWindow {
    fn compile(&self) -> Compiled {
        let globs = |v: &[String]| v.iter().map(|p| glob(p)).collect();
        Compiled {
            schedule: CronSchedule::parse(&self.schedule)
                .map_err(|e| format!("cannot parse schedule '{}': {e}", self.schedule)),
            duration: parse_go_duration(&self.duration)
                .map_err(|e| format!("cannot parse duration '{}': {e}", self.duration)),
            tz: load_location(&self.time_zone),
            applications: globs(&self.applications),
            namespaces: globs(&self.namespaces),
            clusters: globs(&self.clusters),
        }
    }

    /// Whether the window applies to the application (see the module doc).
    pub fn matches(&self, app: &AppTarget<'_>) -> bool {
        matches_with(self, &self.compile(), app)
    }

    /// Whether the window is active at `at`; errors for an invalid schedule or duration.
    pub fn active(&self, at: Timestamp) -> Result<bool, String> {
        active_with(&self.compile(), at)
    }
}

fn matches_with(w: &SyncWindow, c: &Compiled, app: &AppTarget<'_>) -> bool {
    let mut matched = false;
    let mut is_set = false;
    if !w.applications.is_empty() {
        is_set = true;
        matched = w
            .applications
            .iter()
            .zip(&c.applications)
            .any(|(p, m)| glob_match(p, m, app.name));
    }
    if w.and_operator && !matched && is_set {
        return false;
    } else if !w.and_operator && matched {
        return true;
    }
    if !w.clusters.is_empty() {
        is_set = true;
        matched = w.clusters.iter().zip(&c.clusters).any(|(p, m)| {
            (!app.destination_name.is_empty() && glob_match(p, m, app.destination_name))
                || (!app.destination_server.is_empty() && glob_match(p, m, app.destination_server))
        });
    }
    if is_set && w.and_operator && !matched {
        return false;
    } else if !w.and_operator && matched {
        return true;
    }
    if !w.namespaces.is_empty() {
        matched = w
            .namespaces
            .iter()
            .zip(&c.namespaces)
            .any(|(p, m)| glob_match(p, m, app.destination_namespace));
    }
    matched
}

/// Offset (seconds) of the zone at `at`; UTC for unknown zones.
fn offset_at(tz: &Option<TimeZone>, at: Timestamp) -> i64 {
    tz.as_ref()
        .map(|tz| i64::from(tz.to_offset(at).seconds()))
        .unwrap_or(0)
}

fn active_with(c: &Compiled, at: Timestamp) -> Result<bool, String> {
    let schedule = c.schedule.as_ref().map_err(Clone::clone)?;
    let duration = *c.duration.as_ref().map_err(Clone::clone)?;
    let now_ns = i128::from(at.as_second()) * 1_000_000_000 + i128::from(at.subsec_nanosecond());
    let shifted = now_ns + i128::from(offset_at(&c.tz, at)) * 1_000_000_000;
    let start = shifted - i128::from(duration);
    // robfig's Next drops sub-second parts and starts at the following whole second.
    let start_secs = i64::try_from(start.div_euclid(1_000_000_000))
        .map_err(|_| "time out of range".to_string())?;
    Ok(match schedule.next(start_secs) {
        // Go's zero time is before everything.
        None => true,
        Some(next) => i128::from(next) * 1_000_000_000 < shifted,
    })
}

/// The sync windows of one AppProject, compiled for repeated evaluation.
#[derive(Debug, Clone, Default)]
pub struct SyncWindows {
    windows: Vec<SyncWindow>,
    compiled: Vec<Compiled>,
}

impl SyncWindows {
    /// Compiles windows (in `spec.syncWindows` order).
    pub fn new(windows: Vec<SyncWindow>) -> SyncWindows {
        let compiled = windows.iter().map(SyncWindow::compile).collect();
        SyncWindows { windows, compiled }
    }

    /// Reads `spec.syncWindows` from an AppProject object (or accepts the array itself).
    /// Entries that are not objects, or whose fields have the wrong JSON type, are reported
    /// as problems and kept as empty windows so that indices stay aligned.
    pub fn from_project(project: &Value) -> (SyncWindows, Vec<WindowProblem>) {
        let list = match project {
            Value::Array(a) => a.as_slice(),
            _ => project
                .pointer("/spec/syncWindows")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        };
        let mut problems = Vec::new();
        let mut windows = Vec::with_capacity(list.len());
        for (index, v) in list.iter().enumerate() {
            match SyncWindow::deserialize(v) {
                Ok(w) => windows.push(w),
                Err(e) => {
                    problems.push(WindowProblem {
                        index,
                        field: "window",
                        message: format!("cannot read sync window: {e}"),
                    });
                    windows.push(SyncWindow::default());
                }
            }
        }
        (SyncWindows::new(windows), problems)
    }

    /// The windows.
    pub fn windows(&self) -> &[SyncWindow] {
        &self.windows
    }

    /// Indices of the windows that match the application.
    pub fn matching(&self, app: &AppTarget<'_>) -> Vec<usize> {
        (0..self.windows.len())
            .filter(|i| matches_with(&self.windows[*i], &self.compiled[*i], app))
            .collect()
    }

    /// Whether window `index` is active at `at`.
    pub fn active(&self, index: usize, at: Timestamp) -> Result<bool, String> {
        match self.compiled.get(index) {
            Some(c) => active_with(c, at),
            None => Err(format!("no sync window {index}")),
        }
    }

    /// Argo CD's `CanSync` for an application at `at` (no operation in progress).
    pub fn can_sync(&self, app: &AppTarget<'_>, at: Timestamp, manual: bool) -> Decision {
        self.can_sync_op(app, at, manual, None)
    }

    /// [`Self::can_sync`] for an operation that started at `operation_started` (overrun
    /// rules apply: a sync that was allowed when it started may continue if every relevant
    /// window has `syncOverrun`).
    pub fn can_sync_op(
        &self,
        app: &AppTarget<'_>,
        at: Timestamp,
        manual: bool,
        operation_started: Option<Timestamp>,
    ) -> Decision {
        let matching = self.matching(app);
        if matching.is_empty() {
            return decision(true, None, DecisionReason::NoMatchingWindow);
        }
        let state = match self.states(&matching, at) {
            Ok(s) => s,
            Err((i, e)) => {
                return Decision {
                    allowed: false,
                    deciding_window: Some(i),
                    reason: DecisionReason::InvalidWindow,
                    error: Some(format!("invalid sync windows: {e}")),
                }
            }
        };
        let active_deny: Vec<usize> = state
            .iter()
            .filter(|(i, a)| *a && self.windows[*i].kind == "deny")
            .map(|(i, _)| *i)
            .collect();
        let active_allow = state
            .iter()
            .find(|(i, a)| *a && self.windows[*i].kind == "allow")
            .map(|(i, _)| *i);
        let inactive_allow: Vec<usize> = state
            .iter()
            .filter(|(i, a)| !*a && self.windows[*i].kind == "allow")
            .map(|(i, _)| *i)
            .collect();
        let was_allowed = |w: &SyncWindows| match operation_started {
            Some(t) => w.simple_can_sync(&matching, t, manual),
            None => Ok(false),
        };
        if let Some(&first) = active_deny.first() {
            if manual && active_deny.iter().all(|i| self.windows[*i].manual_sync) {
                return decision(true, Some(first), DecisionReason::ActiveDenyManualAllowed);
            }
            // Every active window of kind deny must allow overrun.
            if active_deny.iter().all(|i| self.windows[*i].sync_overrun) {
                match was_allowed(self) {
                    Ok(true) => return decision(true, Some(first), DecisionReason::DenyOverrun),
                    Ok(false) => {}
                    Err((i, e)) => {
                        return Decision {
                            allowed: false,
                            deciding_window: Some(i),
                            reason: DecisionReason::InvalidWindow,
                            error: Some(format!("invalid sync windows: {e}")),
                        }
                    }
                }
            }
            return decision(false, Some(first), DecisionReason::ActiveDeny);
        }
        if let Some(i) = active_allow {
            return decision(true, Some(i), DecisionReason::ActiveAllow);
        }
        if let Some(&first) = inactive_allow.first() {
            if manual && inactive_allow.iter().all(|i| self.windows[*i].manual_sync) {
                return decision(
                    true,
                    Some(first),
                    DecisionReason::InactiveAllowManualAllowed,
                );
            }
            if inactive_allow.iter().all(|i| self.windows[*i].sync_overrun) {
                match was_allowed(self) {
                    Ok(true) => return decision(true, Some(first), DecisionReason::AllowOverrun),
                    Ok(false) => {}
                    Err((i, e)) => {
                        return Decision {
                            allowed: false,
                            deciding_window: Some(i),
                            reason: DecisionReason::InvalidWindow,
                            error: Some(format!("invalid sync windows: {e}")),
                        }
                    }
                }
            }
            return decision(false, Some(first), DecisionReason::InactiveAllow);
        }
        decision(true, None, DecisionReason::NoActiveWindow)
    }

    /// Active state of each matching window, or the first error (Argo CD evaluates all
    /// windows and fails on the first invalid one).
    fn states(
        &self,
        matching: &[usize],
        at: Timestamp,
    ) -> Result<Vec<(usize, bool)>, (usize, String)> {
        matching
            .iter()
            .map(|&i| {
                active_with(&self.compiled[i], at)
                    .map(|a| (i, a))
                    .map_err(|e| (i, e))
            })
            .collect()
    }

    /// Argo CD's `canSyncAtTime` (no overrun rules).
    fn simple_can_sync(
        &self,
        matching: &[usize],
        at: Timestamp,
        manual: bool,
    ) -> Result<bool, (usize, String)> {
        let state = self.states(matching, at)?;
        let active_deny: Vec<usize> = state
            .iter()
            .filter(|(i, a)| *a && self.windows[*i].kind == "deny")
            .map(|(i, _)| *i)
            .collect();
        if !active_deny.is_empty() {
            return Ok(manual && active_deny.iter().all(|i| self.windows[*i].manual_sync));
        }
        if state
            .iter()
            .any(|(i, a)| *a && self.windows[*i].kind == "allow")
        {
            return Ok(true);
        }
        let inactive_allow: Vec<usize> = state
            .iter()
            .filter(|(i, a)| !*a && self.windows[*i].kind == "allow")
            .map(|(i, _)| *i)
            .collect();
        if !inactive_allow.is_empty() {
            return Ok(manual && inactive_allow.iter().all(|i| self.windows[*i].manual_sync));
        }
        Ok(true)
    }

    /// When the [`Self::can_sync`] answer next flips after `at`, searching minute by minute
    /// over [`NEXT_CHANGE_HORIZON_MINUTES`]. `None` when it does not change within the
    /// horizon (or no window matches).
    pub fn next_change(
        &self,
        app: &AppTarget<'_>,
        at: Timestamp,
        manual: bool,
    ) -> Option<Timestamp> {
        let now = self.can_sync(app, at, manual).allowed;
        // Window states only change on whole seconds after a cron minute; check the next
        // minute boundaries (and one second past each, because a window becomes active one
        // second after its start minute).
        let base = at.as_second() - at.as_second().rem_euclid(60);
        for m in 1..=NEXT_CHANGE_HORIZON_MINUTES {
            for extra in [0, 1] {
                let t = Timestamp::from_second(base + m * 60 + extra).ok()?;
                if t <= at {
                    continue;
                }
                if self.can_sync(app, t, manual).allowed != now {
                    return Some(t);
                }
            }
        }
        None
    }

    /// Validation findings: invalid kind, schedule, duration, time zone or description;
    /// windows without selectors (they match nothing); deny windows that are always active
    /// and match every application (nothing can ever sync automatically).
    pub fn problems(&self) -> Vec<WindowProblem> {
        let mut out = Vec::new();
        for (index, (w, c)) in self.windows.iter().zip(&self.compiled).enumerate() {
            if w.kind != "allow" && w.kind != "deny" {
                out.push(WindowProblem {
                    index,
                    field: "kind",
                    message: format!("kind '{}' mismatch: can only be allow or deny", w.kind),
                });
            }
            if let Err(e) = &c.schedule {
                out.push(WindowProblem {
                    index,
                    field: "schedule",
                    message: e.clone(),
                });
            }
            if let Err(e) = &c.duration {
                out.push(WindowProblem {
                    index,
                    field: "duration",
                    message: e.clone(),
                });
            }
            if c.tz.is_none() {
                out.push(WindowProblem {
                    index,
                    field: "timeZone",
                    message: format!(
                        "Invalid time zone {} specified. Using UTC as default time zone",
                        w.time_zone
                    ),
                });
            }
            if w.description.len() > 255 {
                out.push(WindowProblem {
                    index,
                    field: "description",
                    message: "description must not exceed 255 characters".into(),
                });
            }
            if let (Ok(s), Ok(_)) = (&c.schedule, &c.duration) {
                if CronSchedule::next(s, 0).is_none() {
                    out.push(WindowProblem {
                        index,
                        field: "schedule",
                        message: format!(
                            "schedule '{}' never fires; Argo CD then treats the window as always active",
                            w.schedule
                        ),
                    });
                }
            }
            if w.applications.is_empty() && w.namespaces.is_empty() && w.clusters.is_empty() {
                out.push(WindowProblem {
                    index,
                    field: "selectors",
                    message:
                        "window has no applications, namespaces or clusters and matches nothing"
                            .into(),
                });
            }
        }
        out.extend(self.deny_all_problems());
        out.sort_by_key(|p| p.index);
        out
    }

    /// Deny windows that match every application and, alone or together (same time zone),
    /// are active at every instant of a year: automated syncs never run. Instants where a
    /// window has just closed and the next one has not yet opened (zero-length gaps, such as
    /// `* * * * *` with `1m`) count as covered.
    fn deny_all_problems(&self) -> Vec<WindowProblem> {
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, (w, c)) in self.windows.iter().zip(&self.compiled).enumerate() {
            let valid = c.schedule.is_ok() && c.duration.as_ref().is_ok_and(|d| *d > 0);
            if w.kind == "deny" && valid && matches_everything(w) {
                let zone = match &c.tz {
                    Some(tz) => tz.iana_name().unwrap_or("UTC").to_string(),
                    None => "UTC".to_string(),
                };
                groups.entry(zone).or_default().push(i);
            }
        }
        let mut out = Vec::new();
        for members in groups.values() {
            let Some(covering) = self.covering_set(members) else {
                continue;
            };
            let Some(&first) = covering.first() else {
                continue;
            };
            let manual = if covering.iter().all(|i| self.windows[*i].manual_sync) {
                "; only manual syncs are possible"
            } else {
                ""
            };
            let message = if covering.len() == 1 {
                format!("deny window is always active and matches every application: automated syncs never run{manual}")
            } else {
                let list: Vec<String> = covering.iter().map(usize::to_string).collect();
                format!(
                    "deny windows {} together are always active and match every application: automated syncs never run{manual}",
                    list.join(", ")
                )
            };
            out.push(WindowProblem {
                index: first,
                field: "window",
                message,
            });
        }
        out
    }

    /// The windows (a single one if it suffices) whose active periods cover a whole year on
    /// their zone-shifted clock, or `None`.
    fn covering_set(&self, members: &[usize]) -> Option<Vec<usize>> {
        const NS: i128 = 1_000_000_000;
        // 2024-01-01T00:00:00 (a leap year, so every day of month and week occurs).
        const YEAR_START: i64 = 1_704_067_200;
        const YEAR_END: i64 = YEAR_START + 366 * 86_400;
        const MAX_FIRINGS: usize = 600_000;
        let mut intervals: Vec<(i128, i128, usize)> = Vec::new();
        for &i in members {
            let c = &self.compiled[i];
            let (Ok(schedule), Ok(d)) = (&c.schedule, &c.duration) else {
                continue;
            };
            let d = i128::from(*d);
            // Never firing → Argo CD treats it as always active; firing every minute with a
            // window of at least a minute leaves only zero-length gaps.
            if schedule.next(YEAR_START).is_none()
                || (schedule.fires_every_minute() && d >= 60 * NS)
            {
                return Some(vec![i]);
            }
            let mut t = YEAR_START - i64::try_from(d / NS).ok()? - 1;
            let mut count = 0;
            while let Some(f) = schedule.next(t) {
                if f > YEAR_END {
                    break;
                }
                intervals.push((i128::from(f) * NS, i128::from(f) * NS + d, i));
                count += 1;
                if count > MAX_FIRINGS {
                    return None;
                }
                t = f;
            }
        }
        intervals.sort_unstable();
        let mut covered_to = i128::from(YEAR_START) * NS;
        let mut used: Vec<usize> = Vec::new();
        for (start, end, i) in intervals {
            if start > covered_to {
                return None;
            }
            if end > covered_to {
                covered_to = end;
                if !used.contains(&i) {
                    used.push(i);
                }
            }
        }
        if covered_to < i128::from(YEAR_END) * NS {
            return None;
        }
        used.sort_unstable();
        Some(used)
    }

    /// Indices of windows that match none of `apps` (for example a typo in a glob).
    pub fn unmatched(&self, apps: &[AppTarget<'_>]) -> Vec<usize> {
        (0..self.windows.len())
            .filter(|&i| {
                !apps
                    .iter()
                    .any(|a| matches_with(&self.windows[i], &self.compiled[i], a))
            })
            .collect()
    }
}

/// A window that matches every application: a selector list containing `*` (OR mode), or
/// every set selector list containing `*` (AND mode). Cluster `*` matches every app with a
/// destination name or server.
fn matches_everything(w: &SyncWindow) -> bool {
    let star = |v: &[String]| v.iter().any(|p| p == "*" || p == "**");
    let lists = [&w.applications, &w.namespaces, &w.clusters];
    if w.and_operator {
        lists.iter().filter(|l| !l.is_empty()).all(|l| star(l))
    } else {
        lists.iter().any(|l| star(l))
    }
}

fn decision(allowed: bool, deciding_window: Option<usize>, reason: DecisionReason) -> Decision {
    Decision {
        allowed,
        deciding_window,
        reason,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zone_names_are_exact() {
        assert!(load_location("Europe/Berlin").is_some());
        assert!(load_location("europe/berlin").is_none());
        assert!(load_location("Mars/Olympus").is_none());
        assert!(load_location("").is_some());
    }
}
