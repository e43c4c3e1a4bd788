//! The browser and page facts the payload carries (`tz`, `lang`, `res`, `url`, `vp`, ...), read
//! by `host.js` in one crossing each.

use crate::engine::facts::{BrowserInfo, PageFacts};
use crate::web::host;
use crate::web::lazy_global::{LazyGlobal, keys};
use alloc::rc::Rc;
use core::cell::RefCell;

/// The page facts last read, shared by the page's trackers (as `host.js` is).
static LAST: LazyGlobal<RefCell<Rc<PageFacts>>> = LazyGlobal::new(Default::default);

keys! {
    PROTOCOL = "protocol",
    HOSTNAME = "hostname",
    TIME_ZONE = "timeZone",
    LANGUAGE = "language",
    CHARSET = "charset",
    RESOLUTION = "resolution",
    COLOR_DEPTH = "colorDepth",
    COOKIE_ENABLED = "cookieEnabled",
    DO_NOT_TRACK = "doNotTrack",
    GLOBAL_PRIVACY_CONTROL = "globalPrivacyControl",
    URL = "url",
    REFERRER = "referrer",
    TITLE = "title",
    VIEWPORT = "viewport",
    DOCUMENT_SIZE = "documentSize",
}

/// The facts that stay the same while the page lives.
pub fn browser_info() -> BrowserInfo {
    let facts = host::browser_info();
    let text = |key| host::text(&facts, key);
    BrowserInfo {
        protocol: text(&PROTOCOL),
        hostname: text(&HOSTNAME),
        timezone: text(&TIME_ZONE),
        language: text(&LANGUAGE),
        charset: text(&CHARSET),
        resolution: text(&RESOLUTION),
        color_depth: text(&COLOR_DEPTH),
        cookie_enabled: !text(&COOKIE_ENABLED).is_empty(),
        do_not_track: !text(&DO_NOT_TRACK).is_empty(),
        global_privacy_control: !text(&GLOBAL_PRIVACY_CONTROL).is_empty(),
    }
}

/// The facts read at each event (the layout ones once per task); copied into wasm only when
/// they changed since the last event.
pub fn page() -> Rc<PageFacts> {
    let Ok(mut last) = LAST.try_borrow_mut() else { return Rc::default() };
    let facts = host::page_facts();
    if !facts.is_undefined() {
        let text = |key| host::text(&facts, key);
        *last = Rc::new(PageFacts {
            url: text(&URL),
            referrer: text(&REFERRER),
            title: text(&TITLE),
            viewport: text(&VIEWPORT),
            document_size: text(&DOCUMENT_SIZE),
        });
    }
    Rc::clone(&last)
}
