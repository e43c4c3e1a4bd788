//! History autotracking in the page (`pageViewAutotracking: 'history'`): `host_full.js` reports
//! each history change (once per task), [`HistoryPages`] decides whether it is a page view.

use crate::engine::event::{Event, TrackOptions};
use crate::engine::history::HistoryPages;
use crate::web::runtime::{Shared, input};
use crate::web::{facts, host, timer};
use alloc::rc::Rc;
use wasm_bindgen::JsCast;

/// Tracks a page view after each history change that changed the URL (its fragment aside),
/// for as long as the page lives.
pub fn watch(shared: &Shared) {
    let weak = Rc::downgrade(shared);
    let mut pages = HistoryPages::new(&facts::page().url);
    let closure = timer::repeating(move || {
        let page = facts::page();
        if pages.changed(&page.url) {
            input(&weak, move |rt, _| {
                rt.track(Event::PageView { title: None }, TrackOptions::default(), &page)
            });
        }
    });
    host::watch_history(closure.as_ref().unchecked_ref());
    closure.forget();
}
