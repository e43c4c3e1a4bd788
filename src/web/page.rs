//! Reads the browser and page facts the payload carries (`tz`, `lang`, `res`, `url`, `vp`, ...).

use crate::core::text::{int, push_int};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::core::tracker::{BrowserInfo, Page};
use crate::web::page_local::PageLocal;
use core::cell::RefCell;
use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// Viewport and document size, read once per task: measuring the document costs a dozen
/// property reads (and possibly a layout), and a burst of events in one task shares them.
static LAYOUT: PageLocal<RefCell<Option<(String, String)>>> = PageLocal::new(|| RefCell::new(None));

fn prop(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn size(w: f64, h: f64) -> String {
    let mut out = int(w.max(0.0) as i64);
    out.push('x');
    push_int(&mut out, h.max(0.0) as i64);
    out
}

/// The facts that stay the same while the page lives.
pub fn browser_info() -> BrowserInfo {
    let Some(window) = web_sys::window() else {
        return BrowserInfo::default();
    };
    let location = window.location();
    let navigator = window.navigator();
    let time_zone =
        js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
    let screen = window.screen().ok();
    BrowserInfo {
        protocol: location.protocol().unwrap_or_default(),
        hostname: location.hostname().unwrap_or_default(),
        timezone: prop(&time_zone, "timeZone").as_string().unwrap_or_default(),
        language: navigator.language().unwrap_or_default(),
        charset: window.document().map(|d| d.character_set()).unwrap_or_default(),
        resolution: screen
            .as_ref()
            .map(|s| size(s.width().unwrap_or(0).into(), s.height().unwrap_or(0).into()))
            .unwrap_or_default(),
        color_depth: screen.and_then(|s| s.color_depth().ok()).map(|d| int(d.into())).unwrap_or_default(),
        cookie_enabled: prop(&navigator, "cookieEnabled").as_bool().unwrap_or(false),
    }
}

/// The facts read at each event (the layout ones once per task).
pub fn page() -> Page {
    let Some(window) = web_sys::window() else {
        return Page::default();
    };
    let document = window.document();
    let (viewport, document_size) = (|| {
        let cache = &*LAYOUT;
        let cached = cache.try_borrow().ok().and_then(|c| c.clone());
        if let Some(layout) = cached {
            return layout;
        }
        let layout = measure(&window, document.as_ref());
        if let Ok(mut slot) = cache.try_borrow_mut() {
            *slot = Some(layout.clone());
            wasm_bindgen_futures::spawn_local(async {
                LAYOUT.try_borrow_mut().ok().and_then(|mut c| c.take());
            });
        }
        layout
    })();
    Page {
        url: window.location().href().unwrap_or_default(),
        referrer: document.as_ref().map(|d| d.referrer()).unwrap_or_default(),
        title: document.as_ref().map(|d| d.title()).unwrap_or_default(),
        viewport,
        document_size,
    }
}

/// `vp` (`innerWidth x innerHeight`) and `ds` (the largest of the document element's and the
/// body's client, offset and scroll sizes), as the JS tracker measures them.
fn measure(window: &web_sys::Window, document: Option<&web_sys::Document>) -> (String, String) {
    let number = |v: Result<JsValue, JsValue>| v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let viewport = size(number(window.inner_width()), number(window.inner_height()));
    let document_size = document.and_then(|d| d.document_element()).map(|root| {
        let html = JsValue::from(root);
        let body = document.and_then(|d| d.body()).map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        let dim = |el: &JsValue, key: &str| prop(el, key).as_f64().unwrap_or(0.0);
        let width = dim(&html, "clientWidth").max(dim(&html, "offsetWidth")).max(dim(&html, "scrollWidth"));
        let height = dim(&html, "clientHeight")
            .max(dim(&html, "offsetHeight"))
            .max(dim(&html, "scrollHeight"))
            .max(dim(&body, "offsetHeight").max(dim(&body, "scrollHeight")));
        size(width, height)
    });
    (viewport, document_size.unwrap_or_default())
}
