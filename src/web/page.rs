//! The browser and page facts the payload carries (`tz`, `lang`, `res`, `url`, `vp`, ...), read
//! by `host.js` in one crossing each.

use crate::core::tracker::{BrowserInfo, Page};
use crate::web::host;
use crate::web::page_local::PageLocal;
use alloc::rc::Rc;
use core::cell::RefCell;

/// The page facts last read, shared by the page's trackers (as `host.js` is).
static LAST: PageLocal<RefCell<Rc<Page>>> = PageLocal::new(Default::default);

/// The facts that stay the same while the page lives.
pub fn browser_info() -> BrowserInfo {
    let mut facts = host::strings(host::browser_info());
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

/// The facts read at each event (the layout ones once per task); copied into wasm only when
/// they changed since the last event.
pub fn page() -> Rc<Page> {
    let Ok(mut last) = LAST.try_borrow_mut() else { return Rc::default() };
    if let Some(facts) = host::page_facts() {
        let mut facts = host::strings(facts);
        let mut next = || facts.next().unwrap_or_default();
        *last = Rc::new(Page {
            url: next(),
            referrer: next(),
            title: next(),
            viewport: next(),
            document_size: next(),
        });
    }
    Rc::clone(&last)
}
