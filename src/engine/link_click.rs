//! Link click tracking's rules, as the JS tracker's link click plugin (v4) has them: which links
//! are tracked (a class allowlist or denylist, or the page's filter), what counts as a click
//! (with `pseudoClicks`, a mousedown and a mouseup of the same button on the same link), and the
//! `link_click` event of a link (its hostname lowercased, script links left out). The browser
//! side only senses: the link an event is on and its raw attributes.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::event::{Event, LINK_CLICK_SCHEMA, SelfDescribingJson};
use crate::engine::util::json::{ObjectWriter, string_array};
use crate::engine::util::text::concat;

/// Which links are tracked (`enableLinkClickTracking`'s `options`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LinkFilter {
    /// Every link (no `options`).
    #[default]
    All,
    /// By class: with `allow` (an `allowlist`) the links with one of `listed`, else (a
    /// `denylist`) those with none of them.
    Classes {
        /// Whether the classes are an allowlist.
        allow: bool,
        /// The classes.
        listed: Vec<String>,
    },
    /// The page's `filter` function decides.
    Page,
}

impl LinkFilter {
    /// Whether a link with `classes` is tracked; `None` when the page's filter decides.
    pub fn accepts(&self, classes: &[String]) -> Option<bool> {
        match self {
            LinkFilter::All => Some(true),
            LinkFilter::Classes { allow, listed } => {
                Some(classes.iter().any(|c| listed.contains(c)) == *allow)
            }
            LinkFilter::Page => None,
        }
    }
}

/// A mouse event on a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pointer {
    /// `click`.
    Click,
    /// `mousedown`.
    Down,
    /// `mouseup`.
    Up,
}

impl Pointer {
    /// The event of a DOM event type (`None` for any other type).
    pub fn of(event_type: &str) -> Option<Self> {
        match event_type {
            "click" => Some(Pointer::Click),
            "mousedown" => Some(Pointer::Down),
            "mouseup" => Some(Pointer::Up),
            _ => None,
        }
    }
}

/// The button of a mouse event as the JS tracker reads it: `which` (1 left, 2 middle, 3
/// right), else `button`.
pub fn button(which: u32, button: u32) -> u32 {
    if which != 0 { which } else { button }
}

/// The DOM events link click tracking listens to: `mousedown` and `mouseup` with
/// `pseudoClicks` (browsers that send no `click` for the middle button), else `click`.
pub fn event_types(pseudo_clicks: bool) -> &'static str {
    if pseudo_clicks { "mousedown mouseup" } else { "click" }
}

/// One tracker's link click tracking: its filter and the pending mousedown. `L` is a link's
/// identity (the element itself in the page).
#[derive(Debug, Clone)]
pub struct LinkClicks<L> {
    /// Which links are tracked.
    pub filter: LinkFilter,
    /// Whether a link's `innerHTML` is its event's `elementContent` (`trackContent`).
    pub track_content: bool,
    /// The button and link of the last mousedown of the left or middle button.
    down: Option<(u32, L)>,
}

impl<L: PartialEq> LinkClicks<L> {
    /// Link click tracking with `filter`.
    pub fn new(filter: LinkFilter, track_content: bool) -> Self {
        LinkClicks { filter, track_content, down: None }
    }

    /// A mouse event with `button` (see [`button`]) on `link`, which has `classes`: whether it
    /// is a click to track. A link the filter refuses is ignored altogether
    /// (its events change nothing); `page_filter` is asked only when the page's filter decides.
    /// A `click` is a click; a `mousedown` of button 1 or 2 is remembered, any other forgets;
    /// a `mouseup` is a click when it follows a remembered mousedown of the same button on the
    /// same link, and forgets it.
    pub fn event(
        &mut self,
        pointer: Pointer,
        button: u32,
        link: L,
        classes: &[String],
        page_filter: impl FnOnce() -> bool,
    ) -> bool {
        if !self.filter.accepts(classes).unwrap_or_else(page_filter) {
            return false;
        }
        match pointer {
            Pointer::Click => true,
            Pointer::Down => {
                self.down = matches!(button, 1 | 2).then_some((button, link));
                false
            }
            Pointer::Up => self.down.take().is_some_and(|down| down == (button, link)),
        }
    }
}

/// A link's attributes, as the page has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link<'a> {
    /// `href` (resolved by the browser).
    pub href: &'a str,
    /// `hostname`.
    pub hostname: &'a str,
    /// `id`.
    pub id: &'a str,
    /// Its classes (the `class` attribute's runs of non-space characters).
    pub classes: &'a [String],
    /// `target`.
    pub target: &'a str,
    /// `innerHTML`, when its content is tracked.
    pub content: Option<&'a str>,
}

/// Schemes whose links run script: never tracked.
const SCRIPT_SCHEMES: [&str; 6] = ["javascript", "vbscript", "jscript", "mocha", "livescript", "ecmascript"];

/// Whether `url` starts with a script scheme (`javascript:`, ..., in any case).
pub fn is_script_url(url: &str) -> bool {
    SCRIPT_SCHEMES.iter().any(|scheme| {
        url.get(..scheme.len()).is_some_and(|s| s.eq_ignore_ascii_case(scheme))
            && url.as_bytes().get(scheme.len()) == Some(&b':')
    })
}

/// The target URL of a link: `href` with the first occurrence of `hostname` lowercased (some
/// browsers keep its case; a URL's hostname is ASCII, punycode for other names), `about:invalid`
/// when empty.
pub fn target_url(href: &str, hostname: &str) -> String {
    if href.is_empty() {
        return "about:invalid".to_owned();
    }
    // A plain search, without `str::find`'s searcher; `get` rather than slicing: no panic path
    // (and its formatting) in the module.
    let (h, n) = (href.as_bytes(), hostname.as_bytes());
    let at = (!n.is_empty()).then(|| (0..h.len()).find(|&i| h.get(i..i + n.len()) == Some(n))).flatten();
    match at.and_then(|at| Some((href.get(..at)?, href.get(at + n.len()..)?))) {
        Some((before, after)) => concat(&[before, &hostname.to_ascii_lowercase(), after]),
        None => href.to_owned(),
    }
}

/// The `link_click` data: `targetUrl`, then the optional fields that are given.
pub fn link_click_data(
    target_url: &str,
    id: Option<&str>,
    classes: Option<&[String]>,
    target: Option<&str>,
    content: Option<&str>,
) -> String {
    let mut w = ObjectWriter::new();
    w.string("targetUrl", target_url);
    if let Some(id) = id {
        w.string("elementId", id);
    }
    if let Some(classes) = classes {
        w.raw("elementClasses", &string_array(classes));
    }
    if let Some(target) = target {
        w.string("elementTarget", target);
    }
    if let Some(content) = content {
        w.string("elementContent", content);
    }
    w.finish()
}

/// A `link_click` event of `data` (JSON of an object).
pub fn link_click_event(data: String) -> Option<Event> {
    SelfDescribingJson::new("event", LINK_CLICK_SCHEMA, data).ok().map(Event::SelfDescribing)
}

/// The `link_click` event of a clicked link (`None` for a script link: not tracked).
pub fn event(link: &Link<'_>) -> Option<Event> {
    let url = target_url(link.href, link.hostname);
    if is_script_url(&url) {
        return None;
    }
    link_click_event(link_click_data(
        &url,
        Some(link.id),
        Some(link.classes),
        Some(link.target),
        link.content,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clicks(filter: LinkFilter) -> LinkClicks<u32> {
        LinkClicks::new(filter, false)
    }

    fn v(classes: &[&str]) -> Vec<String> {
        classes.iter().map(|c| (*c).to_owned()).collect()
    }

    fn listed(allow: bool, classes: &[&str]) -> LinkFilter {
        LinkFilter::Classes { allow, listed: v(classes) }
    }

    #[test]
    fn class_lists_follow_the_js_tracker() {
        let allow = listed(true, &["track", "also"]);
        assert_eq!(allow.accepts(&v(&["a", "track", "b"])), Some(true));
        assert_eq!(allow.accepts(&v(&["also"])), Some(true));
        assert_eq!(allow.accepts(&v(&["tracking", "other"])), Some(false), "whole classes only");
        assert_eq!(allow.accepts(&[]), Some(false));
        let deny = listed(false, &["skip"]);
        assert_eq!(deny.accepts(&v(&["a", "skip"])), Some(false));
        assert_eq!(deny.accepts(&v(&["a", "skipped"])), Some(true));
        assert_eq!(deny.accepts(&[]), Some(true));
        assert_eq!(listed(true, &[]).accepts(&v(&["any"])), Some(false), "an empty allowlist tracks nothing");
        assert_eq!(LinkFilter::All.accepts(&v(&["x"])), Some(true));
        assert_eq!(LinkFilter::Page.accepts(&v(&["x"])), None);
    }

    #[test]
    fn the_page_filter_is_asked_only_when_it_decides() {
        let mut by_class = clicks(listed(true, &["t"]));
        assert!(by_class.event(Pointer::Click, 1, 7, &v(&["t"]), || panic!("not asked")));
        let mut by_page = clicks(LinkFilter::Page);
        let mut asked = 0;
        assert!(!by_page.event(Pointer::Click, 1, 7, &[], || {
            asked += 1;
            false
        }));
        assert!(by_page.event(Pointer::Click, 1, 7, &[], || true));
        assert_eq!(asked, 1);
    }

    #[test]
    fn pseudo_clicks_need_the_same_button_on_the_same_link() {
        let mut c = clicks(LinkFilter::All);
        let all = || true;
        // Left and middle (`which` 1 and 2) pressed and released on one link: a click each.
        for b in [1, 2] {
            assert!(!c.event(Pointer::Down, b, 7, &[], all));
            assert!(c.event(Pointer::Up, b, 7, &[], all), "button {b}");
        }
        // The right button (3) is never a pseudo-click.
        assert!(!c.event(Pointer::Down, 3, 7, &[], all));
        assert!(!c.event(Pointer::Up, 3, 7, &[], all));
        // Released on another link, or another button released: none.
        assert!(!c.event(Pointer::Down, 1, 7, &[], all));
        assert!(!c.event(Pointer::Up, 1, 8, &[], all));
        assert!(!c.event(Pointer::Up, 1, 7, &[], all), "the mouseup forgot the mousedown");
        assert!(!c.event(Pointer::Down, 2, 7, &[], all));
        assert!(!c.event(Pointer::Up, 1, 7, &[], all));
        // A right mousedown forgets an earlier left one.
        assert!(!c.event(Pointer::Down, 1, 7, &[], all));
        assert!(!c.event(Pointer::Down, 3, 7, &[], all));
        assert!(!c.event(Pointer::Up, 1, 7, &[], all));
        // A mouseup alone is no click; a click always is.
        assert!(!c.event(Pointer::Up, 1, 7, &[], all));
        assert!(c.event(Pointer::Click, 1, 7, &[], all));
    }

    #[test]
    fn a_refused_link_changes_nothing() {
        let mut c = clicks(listed(false, &["skip"]));
        let skip = v(&["skip"]);
        assert!(!c.event(Pointer::Down, 1, 7, &[], || true));
        // A mouseup on a refused link neither counts nor forgets the pending mousedown.
        assert!(!c.event(Pointer::Up, 1, 8, &skip, || true));
        assert!(c.event(Pointer::Up, 1, 7, &[], || true));
        assert!(!c.event(Pointer::Click, 1, 8, &skip, || true));
    }

    #[test]
    fn the_button_is_which_else_button() {
        assert_eq!(button(1, 0), 1);
        assert_eq!(button(2, 1), 2);
        assert_eq!(button(0, 2), 2);
        assert_eq!(event_types(true), "mousedown mouseup");
        assert_eq!(event_types(false), "click");
        assert_eq!(Pointer::of("mouseup"), Some(Pointer::Up));
        assert_eq!(Pointer::of("auxclick"), None);
    }

    #[test]
    fn script_links_are_not_tracked() {
        for url in [
            "javascript:void(0)",
            "JavaScript:alert(1)",
            "vbscript:x",
            "jscript:x",
            "mocha:x",
            "livescript:x",
            "ECMAScript:x",
        ] {
            assert!(is_script_url(url), "{url}");
            assert_eq!(event(&Link { href: url, ..Link::default() }), None, "{url}");
        }
        for url in
            ["https://javascript.example/", "javascripts:x", "mailto:a@b.example", "/javascript:x", "java"]
        {
            assert!(!is_script_url(url), "{url}");
        }
    }

    #[test]
    fn the_hostname_is_lowercased_within_the_target_url() {
        assert_eq!(
            target_url("https://WWW.Example.COM/Path?Q=WWW.Example.COM", "WWW.Example.COM"),
            "https://www.example.com/Path?Q=WWW.Example.COM"
        );
        assert_eq!(target_url("mailto:A@B.example", ""), "mailto:A@B.example");
        assert_eq!(target_url("", ""), "about:invalid");
        assert_eq!(target_url("https://a.example/", "other.example"), "https://a.example/");
    }

    #[test]
    fn the_event_of_a_link() {
        let link = Link {
            href: "https://Shop.Example.com/a?x=1",
            hostname: "Shop.Example.com",
            id: "a1",
            classes: &v(&["track", "me"]),
            target: "_blank",
            content: Some("<b>\"one\"</b>"),
        };
        let Some(Event::SelfDescribing(sdj)) = event(&link) else { panic!("an event") };
        assert_eq!(sdj.schema.as_str(), LINK_CLICK_SCHEMA);
        let data: serde_json::Value = serde_json::from_str(sdj.data.as_str()).unwrap();
        assert_eq!(
            data,
            serde_json::json!({"targetUrl": "https://shop.example.com/a?x=1", "elementId": "a1",
                "elementClasses": ["track", "me"], "elementTarget": "_blank", "elementContent": "<b>\"one\"</b>"})
        );
        let plain = Link { href: "https://a.example/", content: None, ..Link::default() };
        let Some(Event::SelfDescribing(sdj)) = event(&plain) else { panic!("an event") };
        assert_eq!(
            sdj.data.as_str(),
            r#"{"targetUrl":"https://a.example/","elementId":"","elementClasses":[],"elementTarget":""}"#
        );
    }
}
