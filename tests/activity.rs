//! Activity tracking's rules on a fake clock: the JS tracker's vectors A–E
//! (`trackers/browser-tracker/test/tracker.test.ts`, reference §3.9), then the hidden page, the
//! page view resets and the scroll extents. A small fake page plays `host.js`'s part: it notes
//! activity and scroll extents and hands them over at each check.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use snowtrack::engine::activity::{Activity, ActivityAction, ActivityConfig, Coalesced, Extents, Which};

const T0: i64 = 1_700_000_000_000;

/// Seconds after `T0`, in ms.
fn t(seconds: f64) -> i64 {
    T0 + (seconds * 1000.0) as i64
}

/// What `host.js`'s watcher notes between two hand-overs.
#[derive(Default)]
struct Page {
    last: i64,
    extents: Option<Extents>,
    x: f64,
    y: f64,
    hidden: bool,
}

impl Page {
    fn take(&mut self) -> Coalesced {
        let here = Extents::at(self.x, self.y);
        let e = self.extents.take().unwrap_or(here);
        let extents = Extents {
            min_x: e.min_x.min(self.x),
            max_x: e.max_x.max(self.x),
            min_y: e.min_y.min(self.y),
            max_y: e.max_y.max(self.y),
        };
        let last = core::mem::take(&mut self.last);
        Coalesced { last_activity_ms: last, extents, x: self.x, y: self.y, ..Coalesced::default() }
    }
}

/// Activity tracking with a fake clock, its timers and the fired checks.
struct Sim {
    activity: Activity,
    page: Page,
    now: i64,
    timers: Vec<(Which, i64)>,
    listening: bool,
    fired: Vec<(i64, Which, Extents)>,
}

impl Sim {
    fn new(reset_on_page_view: bool) -> Self {
        Sim {
            activity: Activity::new(reset_on_page_view),
            page: Page::default(),
            now: T0,
            timers: Vec::new(),
            listening: false,
            fired: Vec::new(),
        }
    }

    fn enable(&mut self, which: Which, minimum_visit_s: i64, heartbeat_s: i64) -> bool {
        let config = ActivityConfig {
            minimum_visit_ms: minimum_visit_s * 1000,
            heartbeat_ms: heartbeat_s * 1000,
            metrics: false,
        };
        self.activity.enable(which, config)
    }

    fn perform(&mut self, out: Vec<ActivityAction>) {
        for action in out {
            match action {
                ActivityAction::Listen => self.listening = true,
                ActivityAction::Arm { which, after_ms } => {
                    self.timers.retain(|(w, _)| *w != which);
                    self.timers.push((which, self.now + after_ms as i64));
                }
                ActivityAction::Cancel(which) => self.timers.retain(|(w, _)| *w != which),
                ActivityAction::Fire { which, extents, .. } => self.fired.push((self.now, which, extents)),
            }
        }
    }

    /// Runs the timers due up to `until` (seconds after `T0`), in time order.
    fn run(&mut self, until: f64) {
        let until = t(until);
        while let Some(&(which, due)) =
            self.timers.iter().filter(|(_, due)| *due <= until).min_by_key(|(_, d)| *d)
        {
            self.timers.retain(|(w, _)| *w != which);
            self.now = due;
            let coalesced = self.page.take();
            let mut out = Vec::new();
            self.activity.tick(self.now, which, coalesced, self.page.hidden, &mut out);
            self.perform(out);
        }
        self.now = until;
    }

    fn page_view(&mut self, at: f64) {
        self.run(at);
        let mut out = Vec::new();
        self.activity.page_view(self.now, &mut out);
        self.perform(out);
    }

    /// A mouse move (any activity the listeners see) at `at`.
    fn activity(&mut self, at: f64) {
        self.run(at);
        if self.listening {
            self.page.last = self.now;
        }
    }

    /// The document scrolled to (`x`, `y`) at `at`.
    fn scroll(&mut self, at: f64, x: f64, y: f64) {
        self.activity(at);
        let e = self.page.extents.unwrap_or(Extents::at(self.page.x, self.page.y));
        self.page.extents = Some(Extents {
            min_x: e.min_x.min(x),
            max_x: e.max_x.max(x),
            min_y: e.min_y.min(y),
            max_y: e.max_y.max(y),
        });
        (self.page.x, self.page.y) = (x, y);
    }

    fn visibility(&mut self, at: f64, hidden: bool) {
        self.run(at);
        let coalesced = self.listening.then(|| self.page.take());
        self.page.hidden = hidden;
        self.activity.visibility(hidden, coalesced);
    }

    fn disable(&mut self, at: f64, which: Which) {
        self.run(at);
        let mut out = Vec::new();
        self.activity.disable(which, &mut out);
        self.perform(out);
    }

    /// When checks of `which` fired, in seconds after `T0`.
    fn times(&self, which: Which) -> Vec<f64> {
        self.fired
            .iter()
            .filter(|(_, w, _)| *w == which)
            .map(|(at, _, _)| (at - T0) as f64 / 1000.0)
            .collect()
    }
}

#[test]
fn vector_a_minimum_visit_then_heartbeats_restarted_by_each_page_view() {
    let mut s = Sim::new(true);
    assert!(s.enable(Which::Ping, 10, 5));
    s.page_view(0.0);
    assert!(s.listening, "the first page view starts the listeners");
    s.activity(2.5);
    s.run(10.0);
    assert_eq!(s.times(Which::Ping), [10.0], "first check: 2.5 + 10 > 10");
    s.activity(12.5);
    s.activity(17.5);
    s.run(20.0);
    assert_eq!(s.times(Which::Ping), [10.0, 15.0, 20.0]);
    s.page_view(22.5);
    s.activity(25.0);
    s.run(30.0);
    assert_eq!(s.times(Which::Ping).len(), 3, "the page view restarted the minimum visit length");
    s.run(32.5);
    s.activity(35.0);
    s.run(37.5);
    assert_eq!(s.times(Which::Ping), [10.0, 15.0, 20.0, 32.5, 37.5]);
}

#[test]
fn vector_b_disabling_stops_the_pings() {
    let mut s = Sim::new(true);
    s.enable(Which::Ping, 5, 5);
    s.page_view(0.0);
    s.activity(0.1);
    s.activity(5.1);
    s.run(10.0);
    assert_eq!(s.times(Which::Ping), [5.0, 10.0]);
    s.disable(10.0, Which::Ping);
    assert!(s.timers.is_empty());
    s.activity(10.1);
    s.run(15.0);
    assert_eq!(s.times(Which::Ping), [5.0, 10.0]);
}

#[test]
fn vector_c_without_reset_a_later_page_view_does_not_reschedule() {
    let mut s = Sim::new(false);
    s.enable(Which::Ping, 0, 30);
    s.page_view(0.0);
    s.activity(15.0);
    s.run(30.0);
    assert_eq!(s.times(Which::Ping), [30.0]);
    s.activity(40.0);
    s.page_view(40.0);
    s.run(65.0);
    assert_eq!(s.times(Which::Ping), [30.0, 60.0]);
}

#[test]
fn vector_d_with_reset_a_later_page_view_reschedules() {
    let mut s = Sim::new(true);
    s.enable(Which::Ping, 0, 30);
    s.page_view(0.0);
    s.activity(15.0);
    s.run(30.0);
    s.activity(40.0);
    s.page_view(40.0);
    s.activity(45.0);
    s.run(65.0);
    assert_eq!(s.times(Which::Ping), [30.0], "the next check is at 70");
    s.run(70.0);
    assert_eq!(s.times(Which::Ping), [30.0, 70.0]);
}

#[test]
fn vector_e_pings_and_callback_run_side_by_side() {
    let mut s = Sim::new(true);
    s.enable(Which::Ping, 10, 10);
    s.enable(Which::Callback, 5, 5);
    s.page_view(0.0);
    for at in [2.5, 7.5, 12.5, 17.5] {
        s.activity(at);
    }
    s.run(22.5);
    assert_eq!(s.times(Which::Callback), [5.0, 10.0, 15.0, 20.0]);
    assert_eq!(s.times(Which::Ping), [10.0, 20.0]);
}

#[test]
fn no_activity_no_ping_and_the_page_view_itself_does_not_count() {
    let mut s = Sim::new(true);
    s.enable(Which::Ping, 10, 5);
    s.page_view(0.0);
    s.activity(0.0);
    s.run(60.0);
    assert!(s.fired.is_empty(), "activity at the page view's instant is not after it");
    s.activity(61.0);
    s.run(65.0);
    assert_eq!(s.times(Which::Ping), [65.0], "checks go on every heartbeat");
}

#[test]
fn nothing_before_the_first_page_view_and_a_second_enable_is_ignored() {
    let mut s = Sim::new(true);
    s.enable(Which::Ping, 0, 5);
    assert!(!s.enable(Which::Ping, 0, 1), "the first configuration stays");
    s.run(30.0);
    assert!(s.timers.is_empty() && !s.listening, "timers start with a page view");
    s.page_view(30.0);
    s.activity(31.0);
    s.activity(33.0);
    s.run(40.0);
    assert_eq!(s.times(Which::Ping), [35.0], "heartbeat 5, not 1");
}

#[test]
fn no_ping_while_the_page_is_hidden_and_hidden_activity_does_not_count() {
    let mut s = Sim::new(true);
    s.enable(Which::Ping, 0, 5);
    s.page_view(0.0);
    s.activity(1.0);
    s.run(5.0);
    assert_eq!(s.times(Which::Ping), [5.0]);
    s.activity(6.0);
    s.visibility(6.5, true);
    s.run(10.0);
    assert_eq!(s.times(Which::Ping), [5.0], "hidden at the check: no ping");
    s.run(12.0);
    s.activity.update_page_activity(s.now, true);
    s.activity(13.0); // a scripted scroll while hidden
    s.visibility(14.0, false);
    s.run(30.0);
    assert_eq!(s.times(Which::Ping), [5.0], "activity while hidden never counts");
    s.activity.update_page_activity(t(31.0), false);
    s.run(35.0);
    assert_eq!(s.times(Which::Ping), [5.0, 35.0], "visible again: updatePageActivity counts");
}

#[test]
fn a_page_view_resets_the_checks_but_not_the_scroll_extents() {
    let mut s = Sim::new(true);
    s.enable(Which::Ping, 10, 10);
    s.page_view(0.0);
    s.activity(5.0);
    s.page_view(8.0);
    s.run(10.0);
    assert!(s.fired.is_empty(), "the first check moved to 18");
    s.run(18.0);
    assert!(s.fired.is_empty(), "activity before the page view does not count for it");
    s.scroll(19.0, 0.0, 300.0);
    s.page_view(20.0);
    s.activity(21.0);
    s.run(30.0);
    let (_, _, extents) = s.fired[0];
    assert_eq!((extents.min_y, extents.max_y), (0.0, 300.0), "the scroll before the page view is in");
}

#[test]
fn each_ping_reports_the_extents_since_the_last_one_from_the_position_then() {
    let mut s = Sim::new(true);
    s.enable(Which::Ping, 0, 10);
    s.page_view(0.0);
    s.scroll(1.0, 0.0, 500.0);
    s.scroll(2.0, 20.5, 1200.0);
    s.scroll(3.0, 0.0, 800.0);
    s.run(10.0);
    s.scroll(12.0, 0.0, 900.0);
    s.run(20.0);
    s.activity(25.0);
    s.run(30.0);
    let extents: Vec<Extents> = s.fired.iter().map(|(_, _, e)| *e).collect();
    assert_eq!(extents[0], Extents { min_x: 0.0, max_x: 20.5, min_y: 0.0, max_y: 1200.0 });
    assert_eq!(
        extents[1],
        Extents { min_x: 0.0, max_x: 0.0, min_y: 800.0, max_y: 900.0 },
        "from 800, where the last ping was"
    );
    assert_eq!(extents[2], Extents::at(0.0, 900.0), "no scroll: the position");
}

#[test]
fn disable_then_enable_takes_effect_at_the_next_page_view_unless_reset_is_off() {
    let mut s = Sim::new(true);
    s.enable(Which::Ping, 0, 5);
    s.page_view(0.0);
    s.disable(1.0, Which::Ping);
    assert!(s.enable(Which::Ping, 0, 5));
    s.activity(2.0);
    s.run(10.0);
    assert!(s.fired.is_empty(), "nothing scheduled until a page view");
    s.page_view(10.0);
    s.activity(11.0);
    s.run(15.0);
    assert_eq!(s.times(Which::Ping), [15.0]);

    // The JS tracker's quirk: without reset, only the installing page view schedules.
    let mut s = Sim::new(false);
    s.enable(Which::Ping, 0, 5);
    s.page_view(0.0);
    s.disable(1.0, Which::Ping);
    s.enable(Which::Ping, 0, 5);
    s.page_view(2.0);
    s.activity(3.0);
    s.run(20.0);
    assert!(s.fired.is_empty());
}

#[test]
fn activity_metrics_add_up_across_checks_that_do_not_fire_and_only_when_asked() {
    use snowtrack::engine::activity::Metrics;
    let counted = |clicks: f64| Coalesced {
        metrics: Metrics { clicks, mouse_distance: 2.5, ..Metrics::default() },
        ..Coalesced::default()
    };
    for asked in [true, false] {
        let mut a = Activity::new(true);
        let config = ActivityConfig { minimum_visit_ms: 0, heartbeat_ms: 10_000, metrics: asked };
        assert!(a.enable(Which::Ping, config));
        let mut out = Vec::new();
        a.page_view(t(0.0), &mut out);
        // No activity in the first window (its counts still add up), activity in the second.
        a.tick(t(10.0), Which::Ping, Coalesced { last_activity_ms: 0, ..counted(1.0) }, false, &mut out);
        a.tick(
            t(20.0),
            Which::Ping,
            Coalesced { last_activity_ms: t(15.0), ..counted(2.0) },
            false,
            &mut out,
        );
        let fired: Vec<Option<Metrics>> = out
            .iter()
            .filter_map(|action| match action {
                ActivityAction::Fire { metrics, .. } => Some(*metrics),
                _ => None,
            })
            .collect();
        let expected = asked.then_some(Metrics { clicks: 3.0, mouse_distance: 5.0, ..Metrics::default() });
        assert_eq!(fired, [expected], "activityMetrics {asked}");
    }
}

/// The activity callback's argument: the page view id, the extents `Math.round`-ed, and the
/// `activity_metrics` data both as `activityMetrics` and as the one entity of `context`.
#[test]
fn the_callback_gets_its_fields_as_one_json_object() {
    use snowtrack::engine::activity::{ACTIVITY_METRICS_SCHEMA, Extents, callback_json};
    let extents = Extents { min_x: -0.4, max_x: 12.5, min_y: 0.0, max_y: 700.49 };
    let without: serde_json::Value = serde_json::from_str(&callback_json("pv-1", &extents, None)).unwrap();
    assert_eq!(
        without,
        serde_json::json!({"context": [], "pageViewId": "pv-1", "minXOffset": 0, "minYOffset": 0, "maxXOffset": 13, "maxYOffset": 700})
    );
    let metrics = r#"{"mouse_distance":3}"#;
    let with: serde_json::Value =
        serde_json::from_str(&callback_json("pv-1", &extents, Some(metrics))).unwrap();
    assert_eq!(with["activityMetrics"], serde_json::json!({"mouse_distance": 3}));
    assert_eq!(
        with["context"],
        serde_json::json!([{"schema": ACTIVITY_METRICS_SCHEMA, "data": {"mouse_distance": 3}}])
    );
}
