//! Activity tracking (page pings): when the page pings, as a pure state machine.
//!
//! Two independent configurations, as in the JS tracker: [`Which::Ping`]
//! (`enableActivityTracking`: a `page_ping` event) and [`Which::Callback`]
//! (`enableActivityTrackingCallback`: the page's callback). Each page view (re)starts both:
//! a first check after the minimum visit length, then a heartbeat. A check fires when there was
//! activity (mouse, keys, scroll, touch, focus, `updatePageActivity()`) within its window,
//! strictly after the page view: `last activity + window > now`. Every fired check reports the
//! scroll extents of the document since the last fired check (the two configurations share them,
//! and each resets them), starting from the position at that moment.
//!
//! Beyond the JS tracker: no check fires while the page is hidden, and activity handed over
//! while it is hidden does not count (the JS tracker pings in a background tab whenever
//! `updatePageActivity()` or a scripted scroll happened); a heartbeat of 0 is refused (the JS
//! tracker arms a 0 ms interval that can never ping).
//!
//! With `activityMetrics` (on either configuration, as in the JS tracker), every fired check
//! also reports what the listeners counted since the last one ([`Metrics`]: mouse and scroll
//! distance, key presses, clicks, touches): the `activity_metrics` entity of a ping, the
//! callback's `activityMetrics`.
//!
//! The page's listeners live in the web layer, which coalesces them ([`Coalesced`]) and hands
//! them over once per check; the time comes in as `now_ms`; the answers are [`ActivityAction`]s.

#[allow(unused_imports)]
use crate::prelude::*;

/// Which configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// `enableActivityTracking`: page pings.
    Ping,
    /// `enableActivityTrackingCallback`: the page's callback.
    Callback,
}

/// `minimumVisitLength` and `heartbeatDelay`, in milliseconds, and `activityMetrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActivityConfig {
    /// Time from the page view to the first check.
    pub minimum_visit_ms: i64,
    /// Time between later checks (positive).
    pub heartbeat_ms: i64,
    /// `activityMetrics`: fired checks report the [`Metrics`] since the last one.
    pub metrics: bool,
}

/// Schema of the `activity_metrics` entity.
pub const ACTIVITY_METRICS_SCHEMA: &str =
    "iglu:com.snowplowanalytics.snowplow/activity_metrics/jsonschema/1-0-0";

/// What the activity callback gets, as JSON: `{context, pageViewId, minXOffset, minYOffset,
/// maxXOffset, maxYOffset, activityMetrics}`, the offsets `Math.round`-ed; `metrics` (the
/// `activity_metrics` data, JSON) is also the one entity of `context`, which is `[]` without it.
pub fn callback_json(page_view_id: &str, e: &Extents, metrics: Option<&str>) -> String {
    use crate::engine::util::json::{ObjectWriter, self_describing};
    use crate::engine::util::text::{concat, int, math_round};
    let mut o = ObjectWriter::new();
    let context = metrics
        .map_or_else(|| "[]".into(), |m| concat(&["[", &self_describing(ACTIVITY_METRICS_SCHEMA, m), "]"]));
    o.raw("context", &context).string("pageViewId", page_view_id);
    for (key, value) in
        [("minXOffset", e.min_x), ("minYOffset", e.min_y), ("maxXOffset", e.max_x), ("maxYOffset", e.max_y)]
    {
        o.raw(key, &int(math_round(value)));
    }
    if let Some(metrics) = metrics {
        o.raw("activityMetrics", metrics);
    }
    o.finish()
}

/// What the page's listeners counted (`activityMetrics`): distances in pixels (the mouse's
/// straight moves, the scroll's offsets changed on both axes), and events.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Metrics {
    /// Mouse movement.
    pub mouse_distance: f64,
    /// Scrolled distance.
    pub scroll_distance: f64,
    /// `keydown`s.
    pub key_presses: f64,
    /// `click`s.
    pub clicks: f64,
    /// `touchstart`s.
    pub touches: f64,
}

impl Metrics {
    /// These counts and `other`'s.
    fn add(self, other: Metrics) -> Metrics {
        Metrics {
            mouse_distance: self.mouse_distance + other.mouse_distance,
            scroll_distance: self.scroll_distance + other.scroll_distance,
            key_presses: self.key_presses + other.key_presses,
            clicks: self.clicks + other.clicks,
            touches: self.touches + other.touches,
        }
    }

    /// The `activity_metrics` data: each count rounded, within the schema's 0..=2147483647.
    pub fn to_json(&self) -> String {
        let n = |v: f64| crate::engine::util::text::math_round(v).clamp(0, i64::from(i32::MAX)) as u64;
        let mut w = crate::engine::util::json::ObjectWriter::new();
        w.number("mouseDistance", n(self.mouse_distance))
            .number("scrollDistance", n(self.scroll_distance))
            .number("keyPresses", n(self.key_presses))
            .number("clicks", n(self.clicks))
            .number("touches", n(self.touches));
        w.finish()
    }
}

/// The document's scroll extents (pixels, as the browser reports them): the `pp_mix`, `pp_max`,
/// `pp_miy`, `pp_may` of a page ping.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Extents {
    /// Smallest horizontal offset.
    pub min_x: f64,
    /// Largest horizontal offset.
    pub max_x: f64,
    /// Smallest vertical offset.
    pub min_y: f64,
    /// Largest vertical offset.
    pub max_y: f64,
}

impl Extents {
    /// The extents of a single position.
    pub fn at(x: f64, y: f64) -> Self {
        Extents { min_x: x, max_x: x, min_y: y, max_y: y }
    }

    fn merge(self, other: Extents) -> Self {
        Extents {
            min_x: self.min_x.min(other.min_x),
            max_x: self.max_x.max(other.max_x),
            min_y: self.min_y.min(other.min_y),
            max_y: self.max_y.max(other.max_y),
        }
    }
}

/// What the page's listeners gathered since the last hand-over.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Coalesced {
    /// The latest activity, epoch ms (0: none).
    pub last_activity_ms: i64,
    /// The scroll extents since the last hand-over (the position then included).
    pub extents: Extents,
    /// The horizontal scroll offset now.
    pub x: f64,
    /// The vertical scroll offset now.
    pub y: f64,
    /// What the listeners counted since the last hand-over.
    pub metrics: Metrics,
}

/// What the host performs for activity tracking, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum ActivityAction {
    /// Start following the page's activity (once per tracker): from now on the listeners
    /// coalesce it for [`Activity::tick`].
    Listen,
    /// Call [`Activity::tick`] for `which` after `after_ms`, replacing its armed timer.
    Arm {
        /// The configuration.
        which: Which,
        /// Delay, ms.
        after_ms: u64,
    },
    /// Cancel the timer of this configuration.
    Cancel(Which),
    /// Send a page ping ([`Which::Ping`]) or call the callback ([`Which::Callback`]).
    Fire {
        /// The configuration.
        which: Which,
        /// The scroll extents since the last fired check.
        extents: Extents,
        /// With `activityMetrics`: what the listeners counted since the last fired check.
        metrics: Option<Metrics>,
    },
}

/// One configuration's state.
#[derive(Debug, Clone, Default, PartialEq)]
struct Slot {
    config: Option<ActivityConfig>,
    /// When the armed check is due.
    due_ms: Option<i64>,
    /// The armed check is the first one (minimum visit length).
    first: bool,
}

/// Activity tracking of one tracker. See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    ping: Slot,
    callback: Slot,
    reset_on_page_view: bool,
    listening: bool,
    last_activity_ms: i64,
    /// The extents of the current window, and the position at the last hand-over.
    extents: Option<Extents>,
    position: (f64, f64),
    /// What the listeners counted since the last fired check.
    metrics: Metrics,
}

impl Activity {
    /// Activity tracking, off until enabled; `reset_on_page_view` is the
    /// `resetActivityTrackingOnPageView` option.
    pub fn new(reset_on_page_view: bool) -> Self {
        Activity {
            ping: Slot::default(),
            callback: Slot::default(),
            reset_on_page_view,
            listening: false,
            last_activity_ms: 0,
            extents: None,
            position: (0.0, 0.0),
            metrics: Metrics::default(),
        }
    }

    fn slot(&mut self, which: Which) -> &mut Slot {
        match which {
            Which::Ping => &mut self.ping,
            Which::Callback => &mut self.callback,
        }
    }

    /// Whether a configuration is enabled (never in the core build: without the `full`
    /// feature no activity tracking is compiled in).
    pub fn enabled(&self) -> bool {
        cfg!(feature = "full") && (self.ping.config.is_some() || self.callback.config.is_some())
    }

    /// `enableActivityTracking` / `enableActivityTrackingCallback`: takes effect at the next
    /// page view. A configuration that exists already is kept (as in the JS tracker); returns
    /// whether `config` was taken.
    pub fn enable(&mut self, which: Which, config: ActivityConfig) -> bool {
        let slot = self.slot(which);
        if slot.config.is_some() {
            return false;
        }
        slot.config = Some(config);
        true
    }

    /// `disableActivityTracking` / `disableActivityTrackingCallback`.
    pub fn disable(&mut self, which: Which, out: &mut Vec<ActivityAction>) {
        if core::mem::take(self.slot(which)).due_ms.is_some() {
            out.push(ActivityAction::Cancel(which));
        }
    }

    /// `updatePageActivity()` (while the page is `hidden` it does not count).
    pub fn update_page_activity(&mut self, now_ms: i64, hidden: bool) {
        if !hidden {
            self.last_activity_ms = self.last_activity_ms.max(now_ms);
        }
    }

    /// A page view was tracked: the checks start over (the first page view after enabling also
    /// starts the listeners; with `resetActivityTrackingOnPageView` off, only that one schedules).
    pub fn page_view(&mut self, now_ms: i64, out: &mut Vec<ActivityAction>) {
        if !self.enabled() {
            return;
        }
        let installing = !core::mem::replace(&mut self.listening, true);
        if installing {
            out.push(ActivityAction::Listen);
        }
        if !(self.reset_on_page_view || installing) {
            return;
        }
        self.last_activity_ms = now_ms;
        for which in [Which::Ping, Which::Callback] {
            let slot = self.slot(which);
            let Some(config) = slot.config else { continue };
            slot.first = config.minimum_visit_ms > 0;
            let after = if slot.first { config.minimum_visit_ms } else { config.heartbeat_ms };
            slot.due_ms = Some(now_ms.saturating_add(after));
            out.push(ActivityAction::Arm { which, after_ms: after.unsigned_abs() });
        }
    }

    /// Takes in what the listeners gathered: the latest activity (unless the page is hidden:
    /// activity then does not count) and the scroll extents.
    fn take(&mut self, c: Coalesced, hidden: bool) {
        if !hidden {
            self.last_activity_ms = self.last_activity_ms.max(c.last_activity_ms);
        }
        self.extents = Some(self.extents.map_or(c.extents, |e| e.merge(c.extents)));
        self.position = (c.x, c.y);
        self.metrics = self.metrics.add(c.metrics);
    }

    /// The page became `hidden` or visible: what the listeners gathered up to now (`None`
    /// before they started) is taken in as of the state it leaves (gathered while hidden, it
    /// does not count).
    pub fn visibility(&mut self, hidden: bool, coalesced: Option<Coalesced>) {
        if let Some(c) = coalesced {
            self.take(c, !hidden);
        }
    }

    /// The timer of `which` fired: takes in `coalesced`, fires when there was activity within
    /// the check's window (never while the page is `hidden`), and arms the next heartbeat.
    pub fn tick(
        &mut self,
        now_ms: i64,
        which: Which,
        coalesced: Coalesced,
        hidden: bool,
        out: &mut Vec<ActivityAction>,
    ) {
        self.take(coalesced, hidden);
        let last = self.last_activity_ms;
        let slot = self.slot(which);
        let (Some(config), Some(due)) = (slot.config, slot.due_ms) else { return };
        let window = if slot.first { config.minimum_visit_ms } else { config.heartbeat_ms };
        let fire = !hidden && last.saturating_add(window) > now_ms;
        slot.first = false;
        let mut next = due.saturating_add(config.heartbeat_ms);
        if next <= now_ms {
            next = now_ms.saturating_add(config.heartbeat_ms);
        }
        slot.due_ms = Some(next);
        if fire {
            let (x, y) = self.position;
            let extents = self.extents.replace(Extents::at(x, y)).unwrap_or(Extents::at(x, y));
            let counted = core::mem::take(&mut self.metrics);
            let metrics = [self.ping.config, self.callback.config]
                .iter()
                .flatten()
                .any(|c| c.metrics)
                .then_some(counted);
            out.push(ActivityAction::Fire { which, extents, metrics });
        }
        out.push(ActivityAction::Arm { which, after_ms: (next - now_ms).unsigned_abs() });
    }
}
