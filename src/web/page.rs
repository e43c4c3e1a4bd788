//! The browser and page facts the payload carries (`tz`, `lang`, `res`, `url`, `vp`, ...), read
//! by `host.js` in one crossing each.

use crate::core::tracker::{BrowserInfo, Page};
use crate::web::host;

/// The facts that stay the same while the page lives.
pub fn browser_info() -> BrowserInfo {
    let mut facts = host::browser_info().into_iter();
    let mut next = || facts.next().unwrap_or_default();
    BrowserInfo {
        protocol: next(),
        hostname: next(),
        timezone: next(),
        language: next(),
        charset: next(),
        resolution: next(),
        color_depth: next(),
        cookie_enabled: !next().is_empty(),
    }
}

/// The facts read at each event (the layout ones once per task).
pub fn page() -> Page {
    let mut facts = host::page_facts().into_iter();
    let mut next = || facts.next().unwrap_or_default();
    Page { url: next(), referrer: next(), title: next(), viewport: next(), document_size: next() }
}
