//! Table-driven tests for Argo CD's sync-window rules (docs: argocd-semantics §5).

use driftlens::compare::syncwindow::{
    AppTarget, DecisionReason, SyncWindow, SyncWindows, NEXT_CHANGE_HORIZON_MINUTES,
};
use jiff::Timestamp;
use serde_json::json;

fn ts(s: &str) -> Timestamp {
    s.parse()
        .unwrap_or_else(|e| panic!("bad timestamp {s}: {e}"))
}

fn win(kind: &str, schedule: &str, duration: &str) -> SyncWindow {
    SyncWindow {
        kind: kind.into(),
        schedule: schedule.into(),
        duration: duration.into(),
        applications: vec!["*".into()],
        ..SyncWindow::default()
    }
}

const APP: AppTarget<'static> = AppTarget {
    name: "guestbook",
    destination_name: "in-cluster",
    destination_server: "https://kubernetes.default.svc",
    destination_namespace: "default",
};

#[test]
fn active_follows_argo() {
    // (schedule, duration, time zone, time, active)
    let cases = [
        ("* 10 * * *", "2h", "", "2024-03-04T11:00:00Z", true),
        ("* 10 * * *", "2h", "", "2024-03-04T13:00:00Z", false),
        ("* 10 * * *", "2h", "", "2024-03-04T12:58:30Z", true),
        // The last start is 10:59; 2h later the window has closed.
        ("* 10 * * *", "2h", "", "2024-03-04T12:59:00Z", false),
        // A start exactly now does not count yet (strictly before).
        ("0 10 * * *", "1h", "", "2024-03-04T10:00:00Z", false),
        ("0 10 * * *", "1h", "", "2024-03-04T10:00:01Z", true),
        ("0 10 * * *", "1h", "", "2024-03-04T11:00:00Z", false),
        ("0 10 * * *", "90m", "", "2024-03-04T11:29:59Z", true),
        ("0 22 * * *", "4h", "", "2024-03-05T01:00:00Z", true),
        // Europe/Berlin: UTC+1 in winter, UTC+2 in summer (DST-aware).
        (
            "0 9 * * *",
            "1h",
            "Europe/Berlin",
            "2024-01-15T08:30:00Z",
            true,
        ),
        (
            "0 9 * * *",
            "1h",
            "Europe/Berlin",
            "2024-01-15T07:30:00Z",
            false,
        ),
        (
            "0 9 * * *",
            "1h",
            "Europe/Berlin",
            "2024-07-15T07:30:00Z",
            true,
        ),
        (
            "0 9 * * *",
            "1h",
            "Europe/Berlin",
            "2024-07-15T08:30:00Z",
            false,
        ),
        (
            "0 9 * * *",
            "1h",
            "America/New_York",
            "2024-07-15T13:30:00Z",
            true,
        ),
        // An unknown zone falls back to UTC.
        (
            "0 9 * * *",
            "1h",
            "Mars/Olympus",
            "2024-07-15T09:30:00Z",
            true,
        ),
        // Weekdays only, by name.
        ("0 8 * * MON-FRI", "10h", "", "2024-03-09T12:00:00Z", false),
        ("0 8 * * MON-FRI", "10h", "", "2024-03-08T12:00:00Z", true),
        // Dom and dow both set: either matches (robfig OR rule).
        ("0 0 1 * SUN", "24h", "", "2024-03-10T12:00:00Z", true),
        ("0 0 1 * SUN", "24h", "", "2024-03-01T12:00:00Z", true),
        ("0 0 1 * SUN", "24h", "", "2024-03-02T12:00:00Z", false),
        // A schedule that never fires is always active in Argo CD (zero time).
        ("0 0 30 2 *", "1h", "", "2024-03-02T12:00:00Z", true),
        // A negative duration never activates.
        ("* * * * *", "-1h", "", "2024-03-02T12:00:00Z", false),
    ];
    for (schedule, duration, tz, at, want) in cases {
        let mut w = win("allow", schedule, duration);
        w.time_zone = tz.into();
        assert_eq!(
            w.active(ts(at)),
            Ok(want),
            "{schedule} {duration} {tz} at {at}"
        );
    }
}

#[test]
fn invalid_schedule_or_duration_is_an_error() {
    for (s, d) in [
        ("* 10 * * 7", "2h"),
        ("* 10 * * *", "2a"),
        ("@daily", "1h"),
        ("* * *", "1h"),
    ] {
        assert!(
            win("allow", s, d)
                .active(ts("2024-03-04T11:00:00Z"))
                .is_err(),
            "{s} {d}"
        );
    }
    let windows = SyncWindows::new(vec![win("allow", "* 10 * * 7", "2h")]);
    let d = windows.can_sync(&APP, ts("2024-03-04T11:00:00Z"), false);
    assert!(!d.allowed);
    assert_eq!(d.reason, DecisionReason::InvalidWindow);
    assert_eq!(
        d.error.as_deref(),
        Some("invalid sync windows: cannot parse schedule '* 10 * * 7': end of range (7) above maximum (6): 7")
    );
}

/// (name, windows, manual, allowed, reason, deciding window)
type Case = (
    &'static str,
    Vec<SyncWindow>,
    bool,
    bool,
    DecisionReason,
    Option<usize>,
);

#[test]
fn can_sync_rules() {
    // 11:00 UTC: windows starting at 10 for 2h are active, windows at 14 are not.
    let at = ts("2024-03-04T11:00:00Z");
    let active_allow = || win("allow", "* 10 * * *", "2h");
    let inactive_allow = || win("allow", "* 14 * * *", "2h");
    let active_deny = || win("deny", "* 10 * * *", "2h");
    let inactive_deny = || win("deny", "* 14 * * *", "2h");
    let manual = |mut w: SyncWindow| {
        w.manual_sync = true;
        w
    };
    use DecisionReason::*;
    // (name, windows, manual, allowed, reason, deciding window)
    let cases: Vec<Case> = vec![
        ("no windows", vec![], false, true, NoMatchingWindow, None),
        (
            "active allow",
            vec![active_allow()],
            false,
            true,
            ActiveAllow,
            Some(0),
        ),
        (
            "inactive allow denies automated",
            vec![inactive_allow()],
            false,
            false,
            InactiveAllow,
            Some(0),
        ),
        (
            "inactive allow denies manual without manualSync",
            vec![inactive_allow()],
            true,
            false,
            InactiveAllow,
            Some(0),
        ),
        (
            "inactive allow with manualSync permits manual",
            vec![manual(inactive_allow())],
            true,
            true,
            InactiveAllowManualAllowed,
            Some(0),
        ),
        (
            "one inactive allow without manualSync denies manual",
            vec![manual(inactive_allow()), inactive_allow()],
            true,
            false,
            InactiveAllow,
            Some(0),
        ),
        (
            "active deny",
            vec![active_deny()],
            false,
            false,
            ActiveDeny,
            Some(0),
        ),
        (
            "active deny with manualSync permits manual",
            vec![manual(active_deny())],
            true,
            true,
            ActiveDenyManualAllowed,
            Some(0),
        ),
        (
            "active deny with manualSync still blocks automated",
            vec![manual(active_deny())],
            false,
            false,
            ActiveDeny,
            Some(0),
        ),
        (
            "deny wins over allow",
            vec![active_allow(), active_deny()],
            false,
            false,
            ActiveDeny,
            Some(1),
        ),
        (
            "deny wins over allow, manual",
            vec![active_allow(), active_deny()],
            true,
            false,
            ActiveDeny,
            Some(1),
        ),
        (
            "one active deny without manualSync blocks manual",
            vec![manual(active_deny()), active_deny()],
            true,
            false,
            ActiveDeny,
            Some(0),
        ),
        (
            "inactive deny only",
            vec![inactive_deny()],
            false,
            true,
            NoActiveWindow,
            None,
        ),
        (
            "inactive deny, manual",
            vec![inactive_deny()],
            true,
            true,
            NoActiveWindow,
            None,
        ),
        (
            "active allow beats inactive allow",
            vec![inactive_allow(), active_allow()],
            false,
            true,
            ActiveAllow,
            Some(1),
        ),
        (
            "inactive deny and inactive allow",
            vec![inactive_deny(), inactive_allow()],
            false,
            false,
            InactiveAllow,
            Some(1),
        ),
        (
            "overlapping allows",
            vec![active_allow(), win("allow", "* 11 * * *", "1h")],
            false,
            true,
            ActiveAllow,
            Some(0),
        ),
    ];
    for (name, windows, is_manual, allowed, reason, deciding) in cases {
        let d = SyncWindows::new(windows).can_sync(&APP, at, is_manual);
        assert_eq!(
            (d.allowed, d.reason, d.deciding_window),
            (allowed, reason, deciding),
            "{name}"
        );
    }
}

#[test]
fn overrun_rules() {
    let at = ts("2024-03-04T11:00:00Z");
    let mut deny = win("deny", "0 11 * * *", "1h");
    deny.sync_overrun = true;
    // Started at 10:55, before the deny window opened at 11:00 → may continue at 11:00:30.
    let windows = SyncWindows::new(vec![deny.clone()]);
    let later = ts("2024-03-04T11:00:30Z");
    let d = windows.can_sync_op(&APP, later, false, Some(ts("2024-03-04T10:55:00Z")));
    assert_eq!((d.allowed, d.reason), (true, DecisionReason::DenyOverrun));
    // Started during the deny window → blocked.
    let d = windows.can_sync_op(&APP, later, false, Some(ts("2024-03-04T11:00:10Z")));
    assert_eq!((d.allowed, d.reason), (false, DecisionReason::ActiveDeny));
    // Without syncOverrun → blocked.
    deny.sync_overrun = false;
    let d = SyncWindows::new(vec![deny]).can_sync_op(
        &APP,
        later,
        false,
        Some(ts("2024-03-04T10:55:00Z")),
    );
    assert!(!d.allowed);
    // Allow window that closed while the sync ran, with syncOverrun.
    let mut allow = win("allow", "0 9 * * *", "2h");
    allow.sync_overrun = true;
    let windows = SyncWindows::new(vec![allow]);
    let d = windows.can_sync_op(
        &APP,
        at + jiff::SignedDuration::from_mins(5),
        false,
        Some(ts("2024-03-04T10:30:00Z")),
    );
    assert_eq!((d.allowed, d.reason), (true, DecisionReason::AllowOverrun));
}

#[test]
fn matching_or_and_and_operator() {
    let base = |apps: &[&str], ns: &[&str], clusters: &[&str], and: bool| SyncWindow {
        kind: "deny".into(),
        schedule: "* * * * *".into(),
        duration: "1h".into(),
        applications: apps.iter().map(|s| s.to_string()).collect(),
        namespaces: ns.iter().map(|s| s.to_string()).collect(),
        clusters: clusters.iter().map(|s| s.to_string()).collect(),
        and_operator: and,
        ..SyncWindow::default()
    };
    let cases = [
        (base(&[], &[], &[], false), false),
        (base(&[], &[], &[], true), false),
        (base(&["guest*"], &[], &[], false), true),
        (base(&["other"], &["default"], &[], false), true),
        (base(&["other"], &["default"], &[], true), false),
        (base(&["guest*"], &["default"], &[], true), true),
        (base(&["guest*"], &["prod-*"], &[], true), false),
        (base(&[], &[], &["in-cluster"], false), true),
        (
            base(&[], &[], &["https://kubernetes.default.svc"], false),
            true,
        ),
        (base(&[], &[], &["*.example.com"], false), false),
        (base(&["guestbook"], &[], &["in-*"], true), true),
        (base(&["guestbook"], &[], &["remote"], true), false),
        (base(&["{guestbook,other}"], &[], &[], false), true),
        (base(&["guest?ook"], &[], &[], false), true),
    ];
    for (i, (w, want)) in cases.into_iter().enumerate() {
        assert_eq!(w.matches(&APP), want, "case {i}: {w:?}");
    }
    // Empty destination values never match cluster globs, not even `*`.
    let app = AppTarget {
        name: "a",
        ..AppTarget::default()
    };
    assert!(!base(&[], &[], &["*"], false).matches(&app));
}

#[test]
fn from_project_and_problems() {
    let project = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
        "metadata": {"name": "p"},
        "spec": {"syncWindows": [
            {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["*"]},
            {"kind": "allow", "schedule": "0 25 * * *", "duration": "1d", "namespaces": ["x"],
             "timeZone": "Nowhere/City"},
            {"kind": "Allow", "schedule": "0 1 * * *", "duration": "1h"},
            {"kind": "allow", "schedule": "0 1 * * *", "duration": "1h", "andOperator": true,
             "manualSync": true, "syncOverrun": true, "clusters": ["*"], "description": "night"},
            "not an object"
        ]}
    });
    let (windows, read_problems) = SyncWindows::from_project(&project);
    assert_eq!(windows.windows().len(), 5);
    assert!(windows.windows()[3].and_operator && windows.windows()[3].manual_sync);
    assert_eq!(read_problems.len(), 1);
    assert_eq!(read_problems[0].index, 4);
    let problems: Vec<(usize, &str, String)> = windows
        .problems()
        .into_iter()
        .map(|p| (p.index, p.field, p.message))
        .collect();
    let has = |i: usize, f: &str, needle: &str| {
        problems
            .iter()
            .any(|(pi, pf, m)| *pi == i && *pf == f && m.contains(needle))
    };
    assert!(has(0, "window", "always active"), "{problems:?}");
    assert!(
        has(1, "schedule", "end of range (25) above maximum (23)"),
        "{problems:?}"
    );
    assert!(has(1, "duration", "unknown unit \"d\""), "{problems:?}");
    assert!(has(1, "timeZone", "Nowhere/City"), "{problems:?}");
    assert!(has(2, "kind", "kind 'Allow' mismatch"), "{problems:?}");
    assert!(has(2, "selectors", "matches nothing"), "{problems:?}");
    assert!(!problems.iter().any(|(i, _, _)| *i == 3), "{problems:?}");
}

#[test]
fn next_change_finds_the_flip() {
    let windows = SyncWindows::new(vec![win("allow", "0 10 * * *", "1h")]);
    let at = ts("2024-03-04T08:00:00Z");
    assert!(!windows.can_sync(&APP, at, false).allowed);
    let next = windows.next_change(&APP, at, false);
    assert_eq!(next, Some(ts("2024-03-04T10:00:01Z")));
    let next = next.and_then(|t| windows.next_change(&APP, t, false));
    assert_eq!(next, Some(ts("2024-03-04T11:00:00Z")));
    // Always denied: no change within the horizon.
    let windows = SyncWindows::new(vec![win("deny", "* * * * *", "1h")]);
    assert_eq!(windows.next_change(&APP, at, false), None);
    const { assert!(NEXT_CHANGE_HORIZON_MINUTES >= 7 * 24 * 60) };
}

#[test]
fn deny_all_combinations() {
    let deny = |s: &str, d: &str| win("deny", s, d);
    let flagged = |ws: Vec<SyncWindow>| -> Vec<(usize, String)> {
        SyncWindows::new(ws)
            .problems()
            .into_iter()
            .filter(|p| p.field == "window")
            .map(|p| (p.index, p.message))
            .collect()
    };
    // Two half-day windows cover every day together.
    let f = flagged(vec![
        win("allow", "0 1 * * *", "1h"),
        deny("0 0 * * *", "12h"),
        deny("0 12 * * *", "12h"),
    ]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, 1);
    assert!(f[0].1.contains("deny windows 1, 2 together"), "{f:?}");
    // Hourly starts lasting an hour leave only zero-length gaps.
    assert_eq!(flagged(vec![deny("0 * * * *", "1h")]).len(), 1);
    assert_eq!(flagged(vec![deny("* * * * *", "1m")]).len(), 1);
    // 59 minutes leave a real gap; weekdays only leave the weekend.
    assert!(flagged(vec![deny("0 * * * *", "59m")]).is_empty());
    assert!(flagged(vec![deny("0 0 * * 1-5", "24h")]).is_empty());
    // Every day of the week in two windows.
    assert_eq!(
        flagged(vec![deny("0 0 * * 1-5", "24h"), deny("0 0 * * 0,6", "24h")]).len(),
        1
    );
    // Windows restricted to some applications are not deny-all.
    let mut some = deny("* * * * *", "1h");
    some.applications = vec!["team-a-*".into()];
    assert!(flagged(vec![some]).is_empty());
    // Manual syncs still possible.
    let mut manual = deny("* * * * *", "1h");
    manual.manual_sync = true;
    assert!(flagged(vec![manual])[0]
        .1
        .ends_with("only manual syncs are possible"));
}

#[test]
fn unmatched_windows() {
    let mut typo = win("deny", "* * * * *", "1h");
    typo.applications = vec!["gustbook".into()];
    let windows = SyncWindows::new(vec![win("allow", "* * * * *", "1h"), typo]);
    assert_eq!(windows.unmatched(&[APP]), vec![1]);
}
