//! The mobile data model's lifecycle and screen engagement, on the web.
//!
//! - **Lifecycle**: the page becoming hidden is the app going to the background
//!   (`application_background {backgroundIndex}`), visible again the foreground
//!   (`application_foreground {foregroundIndex}`). Transitions only (nothing at load), indexes
//!   counting from 1 per page, and the `application_lifecycle` entity `{isVisible, index}` on
//!   every event, already in the new state on the transition's own event.
//! - **Screen engagement**: each screen view starts a [`ScreenSummary`]: the time spent on the
//!   screen in the foreground and in the background (from visibility), the list items seen and
//!   the scroll extent. It goes out as the `screen_summary` entity on the `screen_end` event sent
//!   before the next screen view, and on the lifecycle events.
//!
//! Pure rules: the time comes in as `now_ms`; the tracker builds the events.

use crate::engine::util::json::{ObjectWriter, self_describing};
use crate::engine::util::text::{int, push_uint};
#[allow(unused_imports)]
use crate::prelude::*;

/// Schema of the background event.
pub const APPLICATION_BACKGROUND_SCHEMA: &str =
    "iglu:com.snowplowanalytics.snowplow/application_background/jsonschema/1-0-0";
/// Schema of the foreground event.
pub const APPLICATION_FOREGROUND_SCHEMA: &str =
    "iglu:com.snowplowanalytics.snowplow/application_foreground/jsonschema/1-0-0";
/// Schema of the lifecycle entity.
pub const APPLICATION_LIFECYCLE_SCHEMA: &str =
    "iglu:com.snowplowanalytics.mobile/application_lifecycle/jsonschema/1-0-0";
/// Schema of the event that ends a screen.
pub const SCREEN_END_SCHEMA: &str = "iglu:com.snowplowanalytics.mobile/screen_end/jsonschema/1-0-0";
/// Schema of the screen summary entity.
pub const SCREEN_SUMMARY_SCHEMA: &str = "iglu:com.snowplowanalytics.mobile/screen_summary/jsonschema/1-0-0";
/// Schema of the list item view event.
pub const LIST_ITEM_VIEW_SCHEMA: &str = "iglu:com.snowplowanalytics.mobile/list_item_view/jsonschema/1-0-0";
/// Schema of the scroll changed event.
pub const SCROLL_CHANGED_SCHEMA: &str = "iglu:com.snowplowanalytics.mobile/scroll_changed/jsonschema/1-0-0";

/// A list item seen (`trackListItemView`, the `list_item_view` event's data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListItemView {
    /// The item's index (0–65535).
    pub index: u32,
    /// How many items the list has.
    pub items_count: Option<u32>,
}

impl ListItemView {
    /// The `list_item_view` event data (snake_case, as the schema has it).
    pub fn to_json(&self) -> String {
        let mut w = ObjectWriter::new();
        numbers(
            &mut w,
            &[("index", Some(self.index.into())), ("items_count", self.items_count.map(i64::from))],
        );
        w.finish()
    }
}

/// A scroll position (`trackScrollChanged`, the `scroll_changed` event's data); pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScrollChanged {
    /// Horizontal offset.
    pub x_offset: Option<i64>,
    /// Vertical offset.
    pub y_offset: Option<i64>,
    /// Width of the visible area.
    pub view_width: Option<u64>,
    /// Height of the visible area.
    pub view_height: Option<u64>,
    /// Width of the scrolled content.
    pub content_width: Option<u64>,
    /// Height of the scrolled content.
    pub content_height: Option<u64>,
}

/// The document's scroll as the page's listener coalesced it since the last time: the extremes
/// of its offsets and the latest sizes; pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DocumentScroll {
    /// Smallest horizontal offset.
    pub min_x: f64,
    /// Largest horizontal offset.
    pub max_x: f64,
    /// Smallest vertical offset.
    pub min_y: f64,
    /// Largest vertical offset.
    pub max_y: f64,
    /// Width of the visible area.
    pub view_width: f64,
    /// Height of the visible area.
    pub view_height: f64,
    /// Width of the document.
    pub content_width: f64,
    /// Height of the document.
    pub content_height: f64,
}

impl DocumentScroll {
    /// Whether the document scrolls at all: its content is larger than its view.
    pub fn scrolls(&self) -> bool {
        self.content_width > self.view_width || self.content_height > self.view_height
    }

    /// The two extreme positions, as scroll changes to fold into the screen summary.
    pub fn extremes(&self) -> [ScrollChanged; 2] {
        let size = |v: f64| u64::try_from(v as i64).ok();
        let at = |x: f64, y: f64| ScrollChanged {
            x_offset: Some(x as i64),
            y_offset: Some(y as i64),
            view_width: size(self.view_width),
            view_height: size(self.view_height),
            content_width: size(self.content_width),
            content_height: size(self.content_height),
        };
        [at(self.min_x, self.min_y), at(self.max_x, self.max_y)]
    }
}

impl ScrollChanged {
    /// The `scroll_changed` event data (snake_case, as the schema has it).
    pub fn to_json(&self) -> String {
        let mut w = ObjectWriter::new();
        let size = |v: Option<u64>| v.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        numbers(
            &mut w,
            &[
                ("x_offset", self.x_offset),
                ("y_offset", self.y_offset),
                ("view_width", size(self.view_width)),
                ("view_height", size(self.view_height)),
                ("content_width", size(self.content_width)),
                ("content_height", size(self.content_height)),
            ],
        );
        w.finish()
    }
}

/// Writes the given numbers, leaving out absent ones.
fn numbers(w: &mut ObjectWriter, fields: &[(&str, Option<i64>)]) {
    for (key, value) in fields {
        if let Some(v) = value {
            w.raw(key, &int(*v));
        }
    }
}

/// Seconds with up to three decimals, from milliseconds (`10000` → `10`, `1500` → `1.5`).
fn push_seconds(out: &mut String, ms: i64) {
    let ms = ms.max(0).unsigned_abs();
    push_uint(out, ms / 1000, 0);
    let mut frac = ms % 1000;
    if frac > 0 {
        out.push('.');
        let mut width = 3;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        push_uint(out, frac, width);
    }
}

/// What one screen's engagement adds up to, since its screen view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenSummary {
    foreground_ms: i64,
    background_ms: i64,
    last_update_ms: i64,
    hidden: bool,
    last_item_index: Option<u32>,
    items_count: Option<u32>,
    min_x: Option<i64>,
    max_x: Option<i64>,
    min_y: Option<i64>,
    max_y: Option<i64>,
    content_width: Option<u64>,
    content_height: Option<u64>,
    /// Whether the app reported this screen's scroll itself (`trackScrollChanged`): from then
    /// on its reports alone make the extent, the document's scroll is not folded in.
    app_scrolls: bool,
}

impl ScreenSummary {
    /// A screen viewed at `now_ms`, the page `hidden` or not.
    pub fn new(now_ms: i64, hidden: bool) -> Self {
        ScreenSummary {
            foreground_ms: 0,
            background_ms: 0,
            last_update_ms: now_ms,
            hidden,
            last_item_index: None,
            items_count: None,
            min_x: None,
            max_x: None,
            min_y: None,
            max_y: None,
            content_width: None,
            content_height: None,
            app_scrolls: false,
        }
    }

    /// Counts the time since the last update, as foreground or background time by the page's
    /// visibility during it.
    pub fn update(&mut self, now_ms: i64) {
        let spent = now_ms.saturating_sub(self.last_update_ms).max(0);
        if self.hidden {
            self.background_ms += spent;
        } else {
            self.foreground_ms += spent;
        }
        self.last_update_ms = self.last_update_ms.max(now_ms);
    }

    /// The page became hidden or visible at `now_ms`.
    pub fn set_hidden(&mut self, now_ms: i64, hidden: bool) {
        self.update(now_ms);
        self.hidden = hidden;
    }

    /// Folds in a list item seen: the largest index and count.
    pub fn list_item(&mut self, item: ListItemView) {
        self.last_item_index = Some(self.last_item_index.map_or(item.index, |i| i.max(item.index)));
        if let Some(count) = item.items_count {
            self.items_count = Some(self.items_count.map_or(count, |c| c.max(count)));
        }
    }

    /// Folds in a scroll position the app reported (`trackScrollChanged`). The first one of the
    /// screen drops the document's extent folded before: one scroll view per summary.
    pub fn app_scroll(&mut self, s: ScrollChanged) {
        if !self.app_scrolls {
            self.app_scrolls = true;
            (self.min_x, self.max_x, self.min_y, self.max_y) = (None, None, None, None);
            (self.content_width, self.content_height) = (None, None);
        }
        self.scroll(s);
    }

    /// Folds in a position of the document's own scroll, unless the app reports this screen's
    /// scroll itself.
    pub fn document_scroll(&mut self, s: ScrollChanged) {
        if !self.app_scrolls {
            self.scroll(s);
        }
    }

    /// Folds in a scroll position: the smallest offset, and the largest offset plus the view's
    /// size (the far edge of what was visible), per axis; the largest content size.
    fn scroll(&mut self, s: ScrollChanged) {
        fn min(slot: &mut Option<i64>, v: i64) {
            *slot = Some(slot.map_or(v, |s| s.min(v)));
        }
        fn max(slot: &mut Option<i64>, v: i64) {
            *slot = Some(slot.map_or(v, |s| s.max(v)));
        }
        let reach = |offset: i64, size: Option<u64>| {
            offset.saturating_add(i64::try_from(size.unwrap_or(0)).unwrap_or(i64::MAX))
        };
        if let Some(x) = s.x_offset {
            min(&mut self.min_x, x);
            max(&mut self.max_x, reach(x, s.view_width));
        }
        if let Some(y) = s.y_offset {
            min(&mut self.min_y, y);
            max(&mut self.max_y, reach(y, s.view_height));
        }
        if let Some(w) = s.content_width {
            self.content_width = Some(self.content_width.map_or(w, |c| c.max(w)));
        }
        if let Some(h) = s.content_height {
            self.content_height = Some(self.content_height.map_or(h, |c| c.max(h)));
        }
    }

    /// The `screen_summary` entity.
    pub fn entity(&self) -> String {
        let seconds = |ms: i64| {
            let mut text = String::new();
            push_seconds(&mut text, ms);
            text
        };
        let mut w = ObjectWriter::new();
        w.raw("foreground_sec", &seconds(self.foreground_ms))
            .raw("background_sec", &seconds(self.background_ms));
        let clamp16 = |v: Option<u32>| v.map(|v| i64::from(v.min(65_535)));
        let clamp32 = |v: Option<i64>| v.map(|v| v.clamp(-2_147_483_647, 2_147_483_647));
        let size = |v: Option<u64>| v.map(|v| i64::try_from(v.min(2_147_483_647)).unwrap_or(0));
        numbers(
            &mut w,
            &[
                ("last_item_index", clamp16(self.last_item_index)),
                ("items_count", clamp16(self.items_count)),
                ("min_x_offset", clamp32(self.min_x)),
                ("max_x_offset", clamp32(self.max_x)),
                ("min_y_offset", clamp32(self.min_y)),
                ("max_y_offset", clamp32(self.max_y)),
                ("content_width", size(self.content_width)),
                ("content_height", size(self.content_height)),
            ],
        );
        self_describing(SCREEN_SUMMARY_SCHEMA, &w.finish())
    }
}

/// A lifecycle transition: the event to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// `application_background {backgroundIndex}`.
    Background(u32),
    /// `application_foreground {foregroundIndex}`.
    Foreground(u32),
}

impl Transition {
    /// The event's self-describing JSON.
    pub fn event(self) -> String {
        let (schema, key, index) = match self {
            Transition::Background(i) => (APPLICATION_BACKGROUND_SCHEMA, "backgroundIndex", i),
            Transition::Foreground(i) => (APPLICATION_FOREGROUND_SCHEMA, "foregroundIndex", i),
        };
        let mut w = ObjectWriter::new();
        w.number(key, index.into());
        self_describing(schema, &w.finish())
    }
}

/// The page's lifecycle as the app's: visible (foreground) or hidden (background), and the
/// transitions counted per page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    visible: bool,
    foreground_index: u32,
    background_index: u32,
}

impl Lifecycle {
    /// The state at load: no event, index 0.
    pub fn new(visible: bool) -> Self {
        Lifecycle { visible, foreground_index: 0, background_index: 0 }
    }

    /// Whether the page is in the foreground.
    pub fn visible(&self) -> bool {
        self.visible
    }

    /// The page became visible or hidden: the transition, or `None` when the state does not
    /// change (repeated signals are ignored).
    pub fn set_visible(&mut self, visible: bool) -> Option<Transition> {
        if visible == self.visible {
            return None;
        }
        self.visible = visible;
        Some(if visible {
            self.foreground_index = self.foreground_index.saturating_add(1);
            Transition::Foreground(self.foreground_index)
        } else {
            self.background_index = self.background_index.saturating_add(1);
            Transition::Background(self.background_index)
        })
    }

    /// The `application_lifecycle` entity: `{isVisible, index}`, the index of the last
    /// transition into the current state (0 before any).
    pub fn entity(&self) -> String {
        let index = if self.visible { self.foreground_index } else { self.background_index };
        let mut w = ObjectWriter::new();
        w.raw("isVisible", if self.visible { "true" } else { "false" }).number("index", index.into());
        self_describing(APPLICATION_LIFECYCLE_SCHEMA, &w.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(entity: &str) -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(entity).unwrap()["data"].clone()
    }

    #[test]
    fn seconds_keep_up_to_three_decimals() {
        for (ms, text) in [(0, "0"), (10_000, "10"), (1500, "1.5"), (1234, "1.234"), (50, "0.05"), (-5, "0")]
        {
            let mut out = String::new();
            push_seconds(&mut out, ms);
            assert_eq!(out, text);
        }
    }

    #[test]
    fn foreground_and_background_time() {
        // Screen A at 0; hidden at 10 s; visible at 15 s; B at 15 s: A had 10 s / 5 s.
        let mut s = ScreenSummary::new(0, false);
        s.set_hidden(10_000, true);
        assert_eq!(data(&s.entity())["foreground_sec"], 10.0);
        s.set_hidden(15_000, false);
        s.update(15_000);
        let d = data(&s.entity());
        assert_eq!((d["foreground_sec"].as_f64(), d["background_sec"].as_f64()), (Some(10.0), Some(5.0)));
        // Still hidden when the next screen comes: the time counts as background.
        let mut s = ScreenSummary::new(0, false);
        s.set_hidden(15_000, true);
        s.update(25_000);
        let d = data(&s.entity());
        assert_eq!((d["foreground_sec"].as_f64(), d["background_sec"].as_f64()), (Some(15.0), Some(10.0)));
    }

    #[test]
    fn list_items_and_scrolls_aggregate_as_the_mobile_trackers_do() {
        let mut s = ScreenSummary::new(0, false);
        for index in [1, 3, 2] {
            s.list_item(ListItemView { index, items_count: Some(10) });
        }
        let scroll = |x, y, w, h, cw, ch| ScrollChanged {
            x_offset: x,
            y_offset: y,
            view_width: w,
            view_height: h,
            content_width: cw,
            content_height: ch,
        };
        s.app_scroll(scroll(None, Some(10), None, Some(20), None, Some(100)));
        s.app_scroll(scroll(Some(15), Some(30), Some(15), Some(20), Some(150), Some(100)));
        s.app_scroll(scroll(None, Some(20), None, Some(20), None, Some(100)));
        let d = data(&s.entity());
        assert_eq!((d["last_item_index"].as_u64(), d["items_count"].as_u64()), (Some(3), Some(10)));
        assert_eq!((d["min_y_offset"].as_i64(), d["max_y_offset"].as_i64()), (Some(10), Some(50)));
        assert_eq!((d["min_x_offset"].as_i64(), d["max_x_offset"].as_i64()), (Some(15), Some(30)));
        assert_eq!((d["content_width"].as_u64(), d["content_height"].as_u64()), (Some(150), Some(100)));
        // The JS plugin's vector: a zero offset is kept.
        let mut s = ScreenSummary::new(0, false);
        s.app_scroll(scroll(Some(0), Some(10), Some(100), Some(1000), Some(1000), Some(2000)));
        s.app_scroll(scroll(Some(10), Some(500), Some(100), Some(1000), Some(1000), Some(2000)));
        let d = data(&s.entity());
        assert_eq!((d["min_x_offset"].as_i64(), d["max_x_offset"].as_i64()), (Some(0), Some(110)));
        assert_eq!((d["min_y_offset"].as_i64(), d["max_y_offset"].as_i64()), (Some(10), Some(1500)));
    }

    #[test]
    fn an_app_reporting_its_scroll_replaces_the_document_extent() {
        let at = |y: i64, view: u64, content: u64| ScrollChanged {
            x_offset: Some(0),
            y_offset: Some(y),
            view_width: Some(1000),
            view_height: Some(view),
            content_width: Some(1000),
            content_height: Some(content),
        };
        // The issue's case: the document (5,016 px high) scrolled before the app reported.
        let mut s = ScreenSummary::new(0, false);
        s.document_scroll(at(0, 900, 5016));
        s.document_scroll(at(2000, 900, 5016));
        s.app_scroll(at(400, 700, 3000));
        s.document_scroll(at(4000, 900, 5016));
        let d = data(&s.entity());
        assert_eq!((d["min_y_offset"].as_i64(), d["max_y_offset"].as_i64()), (Some(400), Some(1100)));
        assert_eq!(d["content_height"].as_u64(), Some(3000));
        // A screen whose app reports nothing keeps the document's scroll.
        let mut s = ScreenSummary::new(0, false);
        s.document_scroll(at(0, 900, 5016));
        s.document_scroll(at(2000, 900, 5016));
        let d = data(&s.entity());
        assert_eq!((d["min_y_offset"].as_i64(), d["max_y_offset"].as_i64()), (Some(0), Some(2900)));
        assert_eq!(d["content_height"].as_u64(), Some(5016));
    }

    #[test]
    fn lifecycle_counts_transitions_only() {
        let mut l = Lifecycle::new(true);
        assert_eq!(data(&l.entity()), serde_json::json!({"isVisible": true, "index": 0}));
        assert_eq!(l.set_visible(true), None, "nothing at load, repeated signals ignored");
        assert_eq!(l.set_visible(false), Some(Transition::Background(1)));
        assert_eq!(data(&l.entity()), serde_json::json!({"isVisible": false, "index": 1}));
        assert_eq!(l.set_visible(false), None);
        assert_eq!(l.set_visible(true), Some(Transition::Foreground(1)));
        assert_eq!(l.set_visible(false), Some(Transition::Background(2)));
        assert_eq!(l.set_visible(true), Some(Transition::Foreground(2)));
        assert_eq!(data(&l.entity()), serde_json::json!({"isVisible": true, "index": 2}));
        assert_eq!(
            Transition::Background(2).event(),
            r#"{"schema":"iglu:com.snowplowanalytics.snowplow/application_background/jsonschema/1-0-0","data":{"backgroundIndex":2}}"#
        );
    }
}
