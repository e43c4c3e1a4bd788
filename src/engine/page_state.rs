//! The page as the web data model sees it, single-page apps included: the `url` and `refr` of
//! every event, the title (`page`) of page views and pings, and the page view id of the
//! `web_page` entity. The JS tracker's rules:
//!
//! - `url` is the custom URL (`setCustomUrl`, sticky) or `location.href` at the event.
//! - `refr` is the custom referrer (`setReferrerUrl`, sticky), else `document.referrer` at
//!   first; once the URL changes (an SPA navigation), the URL seen at the event before.
//! - The title of a page view is its `title` or the `setDocumentTitle` override, else
//!   `document.title`; a ping repeats the page view's unless `document.title` changed since.
//! - The page view id is made on first use; every page view after the first gets a new one,
//!   unless `preservePageViewId()` was called.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::facts::PageFacts;

/// The page state of one tracker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageState {
    /// `location.href` at the last event (`None` before the first).
    location: Option<String>,
    referrer: String,
    custom_url: Option<String>,
    custom_referrer: Option<String>,
    /// The title given to the last page view or to `setDocumentTitle`.
    title: Option<String>,
    title_from_page_view: bool,
    /// `document.title` at the last page view or `setDocumentTitle`.
    document_title: String,
    page_view_id: Option<String>,
    page_viewed: bool,
    preserve_page_view_id: bool,
}

impl PageState {
    /// Notes the page's URL before an event (the JS tracker's `refreshUrl`): when it changed,
    /// the URL before becomes the referrer.
    pub fn refresh(&mut self, page: &PageFacts) {
        match &self.location {
            Some(location) if *location == page.url => return,
            Some(location) => self.referrer.clone_from(location),
            None => self.referrer.clone_from(&page.referrer),
        }
        self.location = Some(page.url.clone());
    }

    /// `url`: the custom URL, else the page's.
    pub fn url(&self) -> &str {
        self.custom_url.as_deref().or(self.location.as_deref()).unwrap_or("")
    }

    /// `refr`: the custom referrer, else the referrer by the rules above.
    pub fn referrer(&self) -> &str {
        self.custom_referrer.as_deref().unwrap_or(&self.referrer)
    }

    /// `setCustomUrl(url)` (`url` resolved against the page's): the `url` of every later event.
    pub fn set_custom_url(&mut self, page: &PageFacts, url: String) {
        self.refresh(page);
        self.custom_url = Some(url);
    }

    /// `setReferrerUrl(url)`: used by every later event, as it is.
    pub fn set_referrer_url(&mut self, url: String) {
        self.custom_referrer = Some(url);
    }

    /// `setDocumentTitle(title)`: the title of later page views without one.
    pub fn set_document_title(&mut self, page: &PageFacts, title: String) {
        self.document_title.clone_from(&page.title);
        self.title = Some(title);
        self.title_from_page_view = false;
    }

    /// `preservePageViewId()`: the page view id stays for later page views.
    pub fn preserve_page_view_id(&mut self) {
        self.preserve_page_view_id = true;
    }

    /// A page view with `title` (empty: none): rotates the page view id (not on the first page
    /// view: events before it share its id); returns the title to send.
    pub fn page_view(
        &mut self,
        page: &PageFacts,
        title: Option<String>,
        new_id: impl FnOnce() -> String,
    ) -> String {
        if core::mem::replace(&mut self.page_viewed, true) && !self.preserve_page_view_id {
            self.page_view_id = Some(new_id());
        }
        self.document_title.clone_from(&page.title);
        match title.filter(|t| !t.is_empty()) {
            Some(title) => {
                self.title = Some(title);
                self.title_from_page_view = true;
            }
            None if self.title_from_page_view => self.title = None,
            None => {}
        }
        self.title().to_owned()
    }

    /// The title of a page ping: the page view's, unless `document.title` changed since.
    pub fn ping_title(&mut self, page: &PageFacts) -> &str {
        if page.title != self.document_title {
            self.document_title.clone_from(&page.title);
            self.title = None;
        }
        self.title()
    }

    fn title(&self) -> &str {
        self.title.as_deref().filter(|t| !t.is_empty()).unwrap_or(&self.document_title)
    }

    /// Gives the page a new page view id (anonymous tracking starting without session tracking).
    pub fn rotate_page_view_id(&mut self, id: String) {
        self.page_view_id = Some(id);
    }

    /// The page view id (`getPageViewId()`, the `web_page` entity's `id`), made on first use.
    pub fn page_view_id(&mut self, new_id: impl FnOnce() -> String) -> &str {
        self.page_view_id.get_or_insert_with(new_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(url: &str, title: &str) -> PageFacts {
        PageFacts {
            url: url.into(),
            referrer: "https://search.example/".into(),
            title: title.into(),
            ..PageFacts::default()
        }
    }

    #[test]
    fn the_referrer_follows_url_changes() {
        let mut w = PageState::default();
        w.refresh(&page("https://a.example/1", ""));
        assert_eq!((w.url(), w.referrer()), ("https://a.example/1", "https://search.example/"));
        w.refresh(&page("https://a.example/1", ""));
        assert_eq!(w.referrer(), "https://search.example/");
        w.refresh(&page("https://a.example/2", ""));
        assert_eq!((w.url(), w.referrer()), ("https://a.example/2", "https://a.example/1"));
        w.set_custom_url(&page("https://a.example/3", ""), "https://a.example/custom".into());
        assert_eq!((w.url(), w.referrer()), ("https://a.example/custom", "https://a.example/2"));
        w.refresh(&page("https://a.example/4", ""));
        assert_eq!(
            (w.url(), w.referrer()),
            ("https://a.example/custom", "https://a.example/3"),
            "never the custom URL"
        );
        w.set_referrer_url("https://custom.example/landing".into());
        w.refresh(&page("https://a.example/5", ""));
        assert_eq!(w.referrer(), "https://custom.example/landing");
    }

    #[test]
    fn titles_and_page_view_ids() {
        let mut w = PageState::default();
        let mut n = 0;
        let mut id = || {
            n += 1;
            format!("id{n}")
        };
        assert_eq!(w.page_view_id(&mut id), "id1", "made on first use");
        assert_eq!(w.page_view(&page("u", "Doc"), None, &mut id), "Doc");
        assert_eq!(w.page_view_id(&mut id), "id1", "the first page view keeps it");
        assert_eq!(w.page_view(&page("u", "Doc"), Some("Given".into()), &mut id), "Given");
        assert_eq!(w.page_view_id(&mut id), "id2");
        assert_eq!(w.ping_title(&page("u", "Doc")), "Given");
        assert_eq!(w.ping_title(&page("u", "Doc 2")), "Doc 2", "document.title changed");
        assert_eq!(w.page_view(&page("u", "Doc"), None, &mut id), "Doc", "a page view's title lasts for it");
        w.set_document_title(&page("u", "Doc"), "Set".into());
        assert_eq!(w.page_view(&page("u", "Doc"), None, &mut id), "Set");
        assert_eq!(w.page_view(&page("u", "Doc"), Some(String::new()), &mut id), "Set");
        w.preserve_page_view_id();
        let kept = w.page_view_id(&mut id).to_owned();
        w.page_view(&page("u", "Doc"), None, &mut id);
        assert_eq!(w.page_view_id(&mut id), kept);
    }
}
