//! Derived tables like those of Snowplow's unified data model (dbt-snowplow-unified): **views**
//! (page and screen views), **sessions** and **users**, recomputed from the good events in the
//! ring on every request (`GET /micro/model/{views,sessions,users}`).
//!
//! Inputs per event (see `collector/README.md` for every column):
//! * session identifier = `client_session.sessionId`, else `domain_sessionid` (events with
//!   neither are left out); user identifier = `client_session.userId`, else `domain_userid`, the
//!   largest one of the session's events;
//! * view id = for page views and page pings `web_page.id`; for other events the `id` of a
//!   `screen_view` event, else the `screen` entity's `id` (so a `screen_end` or lifecycle event
//!   belongs to the screen it describes), else `web_page.id`. dbt-snowplow-unified takes
//!   `web_page.id` first, which on a web page running the mobile model (screen views with
//!   `web_page` on) would merge every screen into the page view;
//! * time = `derived_tstamp`; events are deduplicated on `event_id` (the first one received wins).
//!
//! Mobile engagement comes from the cumulative `screen_summary` entities of `screen_end`,
//! `application_background` and `application_foreground` events (the largest value of each field
//! per view, the smallest for `min_*` offsets); web engagement from page pings, with the heartbeat
//! and minimum visit length of `--model-heartbeat` / `--model-min-visit-length`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::atomic::AtomicEvent;
use crate::iglu::SchemaKey;
use crate::model::GoodEvent;
use crate::time::iso8601;

const SNOWPLOW: &str = "com.snowplowanalytics.snowplow";
const MOBILE: &str = "com.snowplowanalytics.mobile";

/// The page-ping settings the web engagement formulas need; they must match the tracker's
/// `enableActivityTracking({minimumVisitLength, heartbeatDelay})`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Seconds between page pings (`heartbeatDelay`), at least 1.
    pub heartbeat_s: u32,
    /// Seconds before the first page ping (`minimumVisitLength`).
    pub min_visit_length_s: u32,
}

impl Default for Settings {
    /// dbt-snowplow-unified's defaults: heartbeat 10 s, minimum visit length 5 s.
    fn default() -> Self {
        Settings { heartbeat_s: 10, min_visit_length_s: 5 }
    }
}

/// A `[start, end]` span of a session the app spent in the background.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    /// The `application_background` event's time.
    pub start_tstamp: String,
    /// The next `application_foreground` event's time, else the session's end.
    pub end_tstamp: String,
}

/// One event of a session, for timelines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tick {
    /// `event_id`.
    pub event_id: String,
    /// `event_name` (`page_view`, `screen_end`, `application_background`, …).
    pub event_name: String,
    /// `derived_tstamp`.
    pub tstamp: String,
    /// The event's view id, if any.
    pub view_id: Option<String>,
}

/// A row of `GET /micro/model/views`: one page view or screen view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct View {
    /// `web_page.id` of a page view, the `id` of a screen view.
    pub view_id: String,
    /// `page_view` or `screen_view`.
    pub view_type: String,
    /// The view event's `event_id`.
    pub event_id: String,
    /// Screen name, or page title.
    pub name: Option<String>,
    /// `screen_view.type` (e.g. `feed`, `carousel`).
    pub screen_type: Option<String>,
    /// `page_url` of a page view.
    pub page_url: Option<String>,
    /// The view event's `platform`.
    pub platform: Option<String>,
    /// The session the view belongs to.
    pub session_identifier: String,
    /// The session's user identifier.
    pub user_identifier: Option<String>,
    /// 1-based position among the session's views.
    pub view_in_session_index: usize,
    /// How many views the session has.
    pub views_in_session: usize,
    /// `screen_view.previousId` when the tracker sent it, else the session's view before this one.
    pub previous_view_id: Option<String>,
    /// `screen_view.previousName` when the tracker sent it, else the previous view's name.
    pub previous_view_name: Option<String>,
    /// The view event's `derived_tstamp`.
    pub start_tstamp: String,
    /// Web: the last page ping's `derived_tstamp`; otherwise `start_tstamp` (as in dbt).
    pub end_tstamp: String,
    /// Screen summaries: the largest `foreground_sec` (2 decimals); web: heartbeat × (distinct
    /// ping buckets − 1) + minimum visit length, 0 without pings.
    pub engaged_time_in_s: f64,
    /// Screen summaries: foreground + background seconds; web: whole seconds from start to end.
    pub absolute_time_in_s: f64,
    /// Largest `screen_summary.foreground_sec` (2 decimals), `null` without summaries.
    pub foreground_sec: Option<f64>,
    /// Largest `screen_summary.background_sec` (2 decimals), `null` when no summary has one.
    pub background_sec: Option<f64>,
    /// How many `screen_summary` entities were found for the view.
    pub screen_summaries: usize,
    /// Web: largest `pp_xoffset_max`, within the document width; mobile: `max_x_offset`.
    pub horizontal_pixels_scrolled: Option<i64>,
    /// Web: largest `pp_yoffset_max`, within the document height; mobile: `max_y_offset`.
    pub vertical_pixels_scrolled: Option<i64>,
    /// Web: 100 × min(x + viewport width, document width) / document width; mobile: 100 ×
    /// `max_x_offset` / `content_width`.
    pub horizontal_percentage_scrolled: Option<i64>,
    /// Web: 100 × min(y + viewport height, document height) / document height; mobile: 100 ×
    /// `max_y_offset` / `content_height`.
    pub vertical_percentage_scrolled: Option<i64>,
    /// Largest `screen_summary.last_item_index`.
    pub last_list_item_index: Option<i64>,
    /// Largest `screen_summary.items_count`.
    pub list_items_count: Option<i64>,
    /// 100 × (`last_list_item_index` + 1) / `list_items_count`.
    pub list_items_percentage_scrolled: Option<i64>,
    /// Events of the session carrying this view id (the view event included).
    pub events: usize,
}

/// A row of `GET /micro/model/sessions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    /// `client_session.sessionId`, else `domain_sessionid`.
    pub session_identifier: String,
    /// `client_session.sessionIndex`, else `domain_sessionidx`, of the first view-type event.
    pub session_index: Option<i64>,
    /// The largest `client_session.userId` (else `domain_userid`) of the session's events.
    pub user_identifier: Option<String>,
    /// The tracker's `user_id` (`uid`) on the first view-type event.
    pub user_id: Option<String>,
    /// `platform` of the first view-type event.
    pub platform: Option<String>,
    /// Earliest `derived_tstamp` (minus the minimum visit length when the first view-type event
    /// is a page ping).
    pub start_tstamp: String,
    /// Latest `derived_tstamp`.
    pub end_tstamp: String,
    /// Whole seconds from start to end.
    pub absolute_time_in_s: i64,
    /// Screen summaries: Σ per view of the largest `foreground_sec`, rounded; otherwise the web
    /// formula summed over the session's viewed pages.
    pub engaged_time_in_s: i64,
    /// Σ per view of the largest `screen_summary.foreground_sec` (2 decimals), `null` without.
    pub foreground_sec: Option<f64>,
    /// Σ per view of the largest `screen_summary.background_sec` (2 decimals), `null` without.
    pub background_sec: Option<f64>,
    /// All the session's (deduplicated) events.
    pub total_events: usize,
    /// Distinct view ids among the session's events.
    pub views: usize,
    /// `page_view` events.
    pub page_views: usize,
    /// `screen_view` events.
    pub screen_views: usize,
    /// Distinct screen names of the `screen_view` events.
    pub screen_names_viewed: usize,
    /// Two views or more, or an engaged time of two heartbeats or more.
    pub is_engaged: bool,
    /// View id of the first page view, page ping or screen view.
    pub first_view_id: Option<String>,
    /// Its screen name or page title.
    pub first_view_name: Option<String>,
    /// View id of the last page view or screen view (else the first view-type event's).
    pub last_view_id: Option<String>,
    /// Its screen name or page title.
    pub last_view_name: Option<String>,
    /// Background spans, from `application_background` to the next `application_foreground`.
    pub background_periods: Vec<Period>,
    /// Every event of the session, in time order.
    pub timeline: Vec<Tick>,
    #[serde(skip)]
    start_ms: i64,
    #[serde(skip)]
    end_ms: i64,
}

/// A row of `GET /micro/model/users`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// `client_session.userId`, else `domain_userid`.
    pub user_identifier: String,
    /// The tracker's `user_id` of the first session.
    pub user_id: Option<String>,
    /// First seen: the earliest session start.
    pub start_tstamp: String,
    /// Last seen: the latest session end.
    pub end_tstamp: String,
    /// Sessions.
    pub sessions: usize,
    /// Σ of the sessions' views.
    pub views: usize,
    /// Σ of the sessions' distinct screen names.
    pub screen_names_viewed: usize,
    /// Σ of the sessions' engaged time.
    pub engaged_time_in_s: i64,
    /// Σ of the sessions' absolute time.
    pub absolute_time_in_s: i64,
    /// Distinct UTC days on which a session started.
    pub active_days: usize,
    /// The session whose start is the user's start.
    pub first_session_identifier: String,
    /// The session whose end is the user's end.
    pub last_session_identifier: String,
    /// Platform of the first session.
    pub first_platform: Option<String>,
    /// Any session on `platform = web`.
    pub on_web: bool,
    /// Any session on another platform.
    pub on_mobile: bool,
}

/// The three tables.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tables {
    /// Sessions, by start.
    pub sessions: Vec<Session>,
    /// Views, by start.
    pub views: Vec<View>,
    /// Users, by first seen.
    pub users: Vec<User>,
}

/// The cumulative metrics of a `screen_summary` entity.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Summary {
    foreground: Option<f64>,
    background: Option<f64>,
    last_item_index: Option<i64>,
    items_count: Option<i64>,
    max_x: Option<i64>,
    max_y: Option<i64>,
    content_width: Option<i64>,
    content_height: Option<i64>,
}

fn max_f(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn max_i(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    a.max(b).or(a).or(b)
}

impl Summary {
    fn from_entity(data: &Map<String, Value>) -> Summary {
        let int = |k: &str| data.get(k).and_then(Value::as_i64);
        Summary {
            foreground: data.get("foreground_sec").and_then(Value::as_f64),
            background: data.get("background_sec").and_then(Value::as_f64),
            last_item_index: int("last_item_index"),
            items_count: int("items_count"),
            max_x: int("max_x_offset"),
            max_y: int("max_y_offset"),
            content_width: int("content_width"),
            content_height: int("content_height"),
        }
    }

    /// The field-wise largest of two cumulative summaries.
    fn merge(self, o: Summary) -> Summary {
        Summary {
            foreground: max_f(self.foreground, o.foreground),
            background: max_f(self.background, o.background),
            last_item_index: max_i(self.last_item_index, o.last_item_index),
            items_count: max_i(self.items_count, o.items_count),
            max_x: max_i(self.max_x, o.max_x),
            max_y: max_i(self.max_y, o.max_y),
            content_width: max_i(self.content_width, o.content_width),
            content_height: max_i(self.content_height, o.content_height),
        }
    }
}

/// What the model needs of one good event.
#[derive(Debug, Clone)]
struct Ev<'a> {
    event: &'a AtomicEvent,
    event_id: &'a str,
    name: &'a str,
    derived_ms: i64,
    created_ms: i64,
    session: String,
    session_index: Option<i64>,
    user: Option<String>,
    view_id: Option<String>,
    /// `screen_view` event data (mobile schema).
    screen_view: Option<&'a Map<String, Value>>,
    summary: Option<Summary>,
}

fn parse_ms(event: &AtomicEvent, field: &str) -> Option<i64> {
    event.str(field)?.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
}

fn entities(event: &AtomicEvent) -> impl Iterator<Item = (SchemaKey, &Map<String, Value>)> {
    event.context_entities().iter().filter_map(|e| {
        let key = SchemaKey::parse(e.get("schema")?.as_str()?)?;
        Some((key, e.get("data")?.as_object()?))
    })
}

fn string(data: &Map<String, Value>, key: &str) -> Option<String> {
    data.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl<'a> Ev<'a> {
    fn new(g: &'a GoodEvent) -> Option<Ev<'a>> {
        let event = &g.event;
        let event_id = event.str("event_id")?;
        let name = event.str("event_name").unwrap_or_default();
        let derived_ms = parse_ms(event, "derived_tstamp").or_else(|| parse_ms(event, "collector_tstamp"))?;
        let created_ms = parse_ms(event, "dvce_created_tstamp").unwrap_or(derived_ms);
        let (mut client_session, mut web_page, mut screen, mut summary) = (None, None, None, None);
        for (key, data) in entities(event) {
            match (key.vendor.as_str(), key.name.as_str()) {
                (SNOWPLOW, "client_session") => client_session = client_session.or(Some(data)),
                (SNOWPLOW, "web_page") => web_page = web_page.or(Some(data)),
                (MOBILE, "screen") => screen = screen.or(Some(data)),
                (MOBILE, "screen_summary") => summary = summary.or(Some(data)),
                _ => {}
            }
        }
        let screen_view = (event.str("event_vendor") == Some(MOBILE) && name == "screen_view")
            .then(|| event.get("unstruct_event")?.get("data")?.get("data")?.as_object())
            .flatten();
        let session = client_session
            .and_then(|s| string(s, "sessionId"))
            .or_else(|| event.str("domain_sessionid").filter(|s| !s.is_empty()).map(str::to_owned))?;
        let session_index = client_session
            .and_then(|s| s.get("sessionIndex")?.as_i64())
            .or_else(|| event.get("domain_sessionidx")?.as_i64());
        let user = client_session
            .and_then(|s| string(s, "userId"))
            .or_else(|| event.str("domain_userid").filter(|s| !s.is_empty()).map(str::to_owned));
        // Screens are views of their own, also on web pages that carry `web_page` (the mobile
        // model on the web); page views and pings belong to their page view.
        let page_id = || web_page.and_then(|p| string(p, "id"));
        let view_id = if matches!(name, "page_view" | "page_ping") {
            page_id()
        } else {
            screen_view
                .and_then(|s| string(s, "id"))
                .or_else(|| screen.and_then(|s| string(s, "id")))
                .or_else(page_id)
        };
        let summary = summary
            .filter(|_| matches!(name, "screen_end" | "application_background" | "application_foreground"))
            .map(Summary::from_entity);
        Some(Ev {
            event,
            event_id,
            name,
            derived_ms,
            created_ms,
            session,
            session_index,
            user,
            view_id,
            screen_view,
            summary,
        })
    }

    fn is_view(&self) -> bool {
        self.view_id.is_some() && matches!(self.name, "page_view" | "screen_view")
    }

    fn order(&self) -> (i64, i64, &str) {
        (self.derived_ms, self.created_ms, self.event_id)
    }

    fn view_name(&self) -> Option<String> {
        match self.screen_view {
            Some(sv) => string(sv, "name"),
            None => self.event.str("page_title").map(str::to_owned),
        }
    }

    fn int(&self, field: &str) -> Option<i64> {
        self.event.get(field).and_then(Value::as_i64)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `round(100 × part / whole)`, for a positive `whole`.
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn percent(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (100.0 * part as f64 / whole as f64).round() as i64)
}

/// Web engagement: `heartbeat × (n − 1) + min_visit_length` for `n` distinct ping buckets
/// (`floor(dvce_created / heartbeat)`), 0 without pings.
fn ping_buckets(pings: &[&Ev<'_>], settings: &Settings) -> usize {
    let hb = i64::from(settings.heartbeat_s.max(1)) * 1000;
    pings.iter().map(|p| p.created_ms.div_euclid(hb)).collect::<BTreeSet<_>>().len()
}

fn web_engaged(buckets: usize, settings: &Settings) -> i64 {
    let buckets = i64::try_from(buckets).unwrap_or(i64::MAX);
    if buckets == 0 {
        return 0;
    }
    i64::from(settings.heartbeat_s) * (buckets - 1) + i64::from(settings.min_visit_length_s)
}

/// Web scroll depth over a view's page view and pings: `(x px, y px, x %, y %)`.
fn web_scroll(events: &[&Ev<'_>]) -> (Option<i64>, Option<i64>, Option<i64>, Option<i64>) {
    let sized: Vec<&&Ev<'_>> = events
        .iter()
        .filter(|e| matches!(e.name, "page_view" | "page_ping"))
        .filter(|e| e.int("doc_width").unwrap_or(0) > 0 && e.int("doc_height").unwrap_or(0) > 0)
        .collect();
    if sized.is_empty() {
        return (None, None, None, None);
    }
    let max = |f: &str| sized.iter().filter_map(|e| e.int(f)).max();
    let max_or0 = |f: &str| sized.iter().map(|e| e.int(f).unwrap_or(0)).max().unwrap_or(0);
    let (doc_w, doc_h) = (max("doc_width").unwrap_or(0), max("doc_height").unwrap_or(0));
    let h = max_or0("pp_xoffset_max").clamp(0, doc_w);
    let v = max_or0("pp_yoffset_max").clamp(0, doc_h);
    let h_pct = percent((h + max("br_viewwidth").unwrap_or(0)).min(doc_w), doc_w);
    let v_pct = percent((v + max("br_viewheight").unwrap_or(0)).min(doc_h), doc_h);
    (Some(h), Some(v), h_pct, v_pct)
}

/// Whole seconds from `a` to `b` (ms).
fn seconds(a: i64, b: i64) -> i64 {
    (b - a).div_euclid(1000)
}

/// The summary of a view: the field-wise largest of its events' summaries, and how many there were.
fn view_summary(events: &[&Ev<'_>]) -> (Option<Summary>, usize) {
    let summaries: Vec<Summary> = events.iter().filter_map(|e| e.summary).collect();
    let n = summaries.len();
    (summaries.into_iter().reduce(Summary::merge), n)
}

fn build_view(ev: &Ev<'_>, session_events: &[Ev<'_>], user: Option<&String>, settings: &Settings) -> View {
    let id = ev.view_id.clone().unwrap_or_default();
    let of_view: Vec<&Ev<'_>> =
        session_events.iter().filter(|e| e.view_id.as_deref() == Some(id.as_str())).collect();
    let pings: Vec<&Ev<'_>> = of_view.iter().copied().filter(|e| e.name == "page_ping").collect();
    let end_ms = pings.iter().map(|p| p.derived_ms).max().unwrap_or(ev.derived_ms).max(ev.derived_ms);
    let (summary, screen_summaries) = view_summary(&of_view);
    let web_engaged_s = web_engaged(ping_buckets(&pings, settings), settings);
    #[allow(clippy::cast_precision_loss)]
    let (engaged, absolute) = match summary.and_then(|s| s.foreground) {
        Some(fg) => (round2(fg), round2(fg) + summary.and_then(|s| s.background).map_or(0.0, round2)),
        None => (web_engaged_s as f64, seconds(ev.derived_ms, end_ms) as f64),
    };
    let (mut h_px, mut v_px, mut h_pct, mut v_pct) = web_scroll(&of_view);
    let (mut last_item, mut items) = (None, None);
    if let Some(s) = summary {
        h_px = s.max_x;
        v_px = s.max_y;
        h_pct = s.max_x.zip(s.content_width).and_then(|(x, w)| percent(x, w));
        v_pct = s.max_y.zip(s.content_height).and_then(|(y, h)| percent(y, h));
        last_item = s.last_item_index;
        items = s.items_count;
    }
    let view_type = if ev.name == "screen_view" { "screen_view" } else { "page_view" };
    View {
        view_id: id,
        view_type: view_type.to_owned(),
        event_id: ev.event_id.to_owned(),
        name: ev.view_name(),
        screen_type: ev.screen_view.and_then(|s| string(s, "type")),
        page_url: ev.event.str("page_url").map(str::to_owned),
        platform: ev.event.str("platform").map(str::to_owned),
        session_identifier: ev.session.clone(),
        user_identifier: user.cloned(),
        view_in_session_index: 0,
        views_in_session: 0,
        previous_view_id: ev.screen_view.and_then(|s| string(s, "previousId")),
        previous_view_name: ev.screen_view.and_then(|s| string(s, "previousName")),
        start_tstamp: iso8601(ev.derived_ms),
        end_tstamp: iso8601(end_ms),
        engaged_time_in_s: engaged,
        absolute_time_in_s: absolute,
        foreground_sec: summary.and_then(|s| s.foreground).map(round2),
        background_sec: summary.and_then(|s| s.background).map(round2),
        screen_summaries,
        horizontal_pixels_scrolled: h_px,
        vertical_pixels_scrolled: v_px,
        horizontal_percentage_scrolled: h_pct,
        vertical_percentage_scrolled: v_pct,
        last_list_item_index: last_item,
        list_items_count: items,
        list_items_percentage_scrolled: last_item.zip(items).and_then(|(i, n)| percent(i + 1, n)),
        events: of_view.len(),
    }
}

fn background_periods(events: &[Ev<'_>], end_ms: i64) -> Vec<Period> {
    let mut periods = Vec::new();
    let mut since: Option<i64> = None;
    for e in events {
        match e.name {
            "application_background" if since.is_none() => since = Some(e.derived_ms),
            "application_foreground" => {
                if let Some(start) = since.take() {
                    periods.push(Period { start_tstamp: iso8601(start), end_tstamp: iso8601(e.derived_ms) });
                }
            }
            _ => {}
        }
    }
    if let Some(start) = since {
        periods.push(Period { start_tstamp: iso8601(start), end_tstamp: iso8601(end_ms.max(start)) });
    }
    periods
}

#[allow(clippy::cast_possible_truncation)]
fn build_session(
    id: &str,
    events: &[Ev<'_>],
    user: Option<&String>,
    views: &[&View],
    settings: &Settings,
) -> Option<Session> {
    let view_type =
        |e: &&Ev<'_>| e.view_id.is_some() && matches!(e.name, "page_view" | "page_ping" | "screen_view");
    // `events` are in time order, so the first match is the earliest.
    let first = events.iter().find(view_type)?;
    let last = events.iter().rev().find(|e| e.is_view()).unwrap_or(first);
    let mvl_ms = if first.name == "page_ping" { i64::from(settings.min_visit_length_s) * 1000 } else { 0 };
    let min_ms = events.iter().map(|e| e.derived_ms).min().unwrap_or(first.derived_ms);
    let end_ms = events.iter().map(|e| e.derived_ms).max().unwrap_or(first.derived_ms);
    let start_ms = min_ms - mvl_ms;
    let view_ids: BTreeSet<&str> = events.iter().filter_map(|e| e.view_id.as_deref()).collect();
    // Web: Σ over the viewed pages of heartbeat × (n_v − 1) + min visit length.
    let mut pings_by_view: BTreeMap<&str, Vec<&Ev<'_>>> = BTreeMap::new();
    for e in events.iter().filter(|e| e.name == "page_ping") {
        if let Some(v) = e.view_id.as_deref() {
            pings_by_view.entry(v).or_default().push(e);
        }
    }
    let web: i64 = pings_by_view.values().map(|p| web_engaged(ping_buckets(p, settings), settings)).sum();
    // Screen summaries: per view of this session (its own view rows and any other view id whose
    // summaries are in the session), the largest values.
    let mut summaries_by_view: BTreeMap<&str, Summary> = BTreeMap::new();
    for e in events {
        if let (Some(v), Some(s)) = (e.view_id.as_deref(), e.summary) {
            let merged = summaries_by_view.get(v).map_or(s, |m| m.merge(s));
            summaries_by_view.insert(v, merged);
        }
    }
    let fg: Option<f64> =
        summaries_by_view.values().filter_map(|s| s.foreground).map(round2).reduce(|a, b| a + b);
    let bg: Option<f64> =
        summaries_by_view.values().filter_map(|s| s.background).map(round2).reduce(|a, b| a + b);
    let engaged = fg.map_or(web, |f| f.round() as i64);
    let screen_names: HashSet<String> =
        events.iter().filter(|e| e.name == "screen_view").filter_map(Ev::view_name).collect();
    let view_name = |e: &Ev<'_>| {
        let id = e.view_id.as_deref();
        views
            .iter()
            .find(|v| Some(v.view_id.as_str()) == id)
            .and_then(|v| v.name.clone())
            .or_else(|| e.view_name())
    };
    let heartbeat = i64::from(settings.heartbeat_s.max(1));
    Some(Session {
        session_identifier: id.to_owned(),
        session_index: first.session_index.or_else(|| events.iter().find_map(|e| e.session_index)),
        user_identifier: user.cloned(),
        user_id: first.event.str("user_id").map(str::to_owned),
        platform: first.event.str("platform").map(str::to_owned),
        start_tstamp: iso8601(start_ms),
        end_tstamp: iso8601(end_ms),
        absolute_time_in_s: seconds(start_ms, end_ms),
        engaged_time_in_s: engaged,
        foreground_sec: fg.map(round2),
        background_sec: bg.map(round2),
        total_events: events.len(),
        views: view_ids.len(),
        page_views: events.iter().filter(|e| e.name == "page_view").count(),
        screen_views: events.iter().filter(|e| e.name == "screen_view").count(),
        screen_names_viewed: screen_names.len(),
        is_engaged: view_ids.len() >= 2 || engaged / heartbeat >= 2,
        first_view_id: first.view_id.clone(),
        first_view_name: view_name(first),
        last_view_id: last.view_id.clone(),
        last_view_name: view_name(last),
        background_periods: background_periods(events, end_ms),
        timeline: events
            .iter()
            .map(|e| Tick {
                event_id: e.event_id.to_owned(),
                event_name: e.name.to_owned(),
                tstamp: iso8601(e.derived_ms),
                view_id: e.view_id.clone(),
            })
            .collect(),
        start_ms,
        end_ms,
    })
}

fn build_users(sessions: &[Session]) -> Vec<User> {
    let mut by_user: BTreeMap<&str, Vec<&Session>> = BTreeMap::new();
    for s in sessions {
        if let Some(u) = s.user_identifier.as_deref() {
            by_user.entry(u).or_default().push(s);
        }
    }
    let mut users: Vec<(i64, User)> = by_user
        .into_iter()
        .filter_map(|(user, sessions)| {
            // Ties go to the largest session identifier, as in dbt.
            let first = sessions.iter().min_by(|a, b| {
                a.start_ms.cmp(&b.start_ms).then(b.session_identifier.cmp(&a.session_identifier))
            })?;
            let last = sessions.iter().max_by(|a, b| {
                a.end_ms.cmp(&b.end_ms).then(a.session_identifier.cmp(&b.session_identifier))
            })?;
            let days: BTreeSet<&str> = sessions.iter().filter_map(|s| s.start_tstamp.get(..10)).collect();
            Some((
                first.start_ms,
                User {
                    user_identifier: user.to_owned(),
                    user_id: first.user_id.clone(),
                    start_tstamp: first.start_tstamp.clone(),
                    end_tstamp: last.end_tstamp.clone(),
                    sessions: sessions.len(),
                    views: sessions.iter().map(|s| s.views).sum(),
                    screen_names_viewed: sessions.iter().map(|s| s.screen_names_viewed).sum(),
                    engaged_time_in_s: sessions.iter().map(|s| s.engaged_time_in_s).sum(),
                    absolute_time_in_s: sessions.iter().map(|s| s.absolute_time_in_s).sum(),
                    active_days: days.len(),
                    first_session_identifier: first.session_identifier.clone(),
                    last_session_identifier: last.session_identifier.clone(),
                    first_platform: first.platform.clone(),
                    on_web: sessions.iter().any(|s| s.platform.as_deref() == Some("web")),
                    on_mobile: sessions.iter().any(|s| s.platform.as_deref().is_some_and(|p| p != "web")),
                },
            ))
        })
        .collect();
    users.sort_by(|(a_ms, a), (b_ms, b)| a_ms.cmp(b_ms).then(a.user_identifier.cmp(&b.user_identifier)));
    users.into_iter().map(|(_, u)| u).collect()
}

/// Computes the three tables from good events, oldest first (as received).
pub fn compute(events: &[Arc<GoodEvent>], settings: &Settings) -> Tables {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut sessions: BTreeMap<String, Vec<Ev<'_>>> = BTreeMap::new();
    for g in events {
        let Some(ev) = Ev::new(g) else { continue };
        if seen.insert(ev.event_id) {
            sessions.entry(ev.session.clone()).or_default().push(ev);
        }
    }
    for evs in sessions.values_mut() {
        evs.sort_by(|a, b| a.order().cmp(&b.order()));
    }
    let users: HashMap<&str, Option<String>> = sessions
        .iter()
        .map(|(id, evs)| (id.as_str(), evs.iter().filter_map(|e| e.user.clone()).max()))
        .collect();

    // Views: one per view id, the earliest view event (across sessions).
    let mut view_events: Vec<&Ev<'_>> = sessions.values().flatten().filter(|e| e.is_view()).collect();
    view_events.sort_by(|a, b| a.order().cmp(&b.order()));
    let mut view_ids: HashSet<&str> = HashSet::new();
    let mut views: Vec<View> = Vec::new();
    for ev in view_events {
        let Some(id) = ev.view_id.as_deref() else { continue };
        if !view_ids.insert(id) {
            continue;
        }
        let session_events = sessions.get(&ev.session).map(Vec::as_slice).unwrap_or_default();
        let user = users.get(ev.session.as_str()).and_then(Option::as_ref);
        views.push(build_view(ev, session_events, user, settings));
    }
    // Positions in the session, previous views where the tracker did not say.
    let mut by_session: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, v) in views.iter().enumerate() {
        by_session.entry(v.session_identifier.clone()).or_default().push(i);
    }
    for indices in by_session.values() {
        let mut previous: Option<(String, Option<String>)> = None;
        for (n, &i) in indices.iter().enumerate() {
            let Some(v) = views.get_mut(i) else { continue };
            v.view_in_session_index = n + 1;
            v.views_in_session = indices.len();
            if v.previous_view_id.is_none() && v.previous_view_name.is_none() {
                if let Some((id, name)) = &previous {
                    v.previous_view_id = Some(id.clone());
                    v.previous_view_name.clone_from(name);
                }
            }
            previous = Some((v.view_id.clone(), v.name.clone()));
        }
    }

    let mut session_rows: Vec<Session> = sessions
        .iter()
        .filter_map(|(id, evs)| {
            let own: Vec<&View> = views.iter().filter(|v| &v.session_identifier == id).collect();
            let user = users.get(id.as_str()).and_then(Option::as_ref);
            build_session(id, evs, user, &own, settings)
        })
        .collect();
    session_rows
        .sort_by(|a, b| a.start_ms.cmp(&b.start_ms).then(a.session_identifier.cmp(&b.session_identifier)));
    let users = build_users(&session_rows);
    Tables { sessions: session_rows, views, users }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn summaries_merge_to_their_largest_values() {
        let a = Summary { foreground: Some(10.0), background: None, max_y: Some(700), ..Summary::default() };
        let b = Summary {
            foreground: Some(15.0),
            background: Some(5.0),
            items_count: Some(10),
            ..Summary::default()
        };
        let m = a.merge(b);
        assert_eq!(
            (m.foreground, m.background, m.max_y, m.items_count),
            (Some(15.0), Some(5.0), Some(700), Some(10))
        );
        assert_eq!(max_i(Some(-3), None), Some(-3));
        assert_eq!(max_i(Some(-3), Some(-7)), Some(-3));
    }

    #[test]
    fn rounding_and_percentages() {
        assert_eq!(round2(10.004_9), 10.0);
        assert_eq!(round2(9.005_1), 9.01);
        assert_eq!(percent(1500, 3000), Some(50));
        assert_eq!(percent(2220, 3000), Some(74));
        assert_eq!(percent(1, 0), None);
        assert_eq!(seconds(100_000, 125_400), 25);
    }

    #[test]
    fn web_engaged_time_counts_heartbeat_buckets() {
        let s = Settings::default();
        assert_eq!(web_engaged(0, &s), 0);
        assert_eq!(web_engaged(1, &s), 5);
        assert_eq!(web_engaged(3, &s), 25);
    }
}
