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
//!   unless `preservePageViewId()` was called. With `preservePageViewIdForUrl`, an event on a
//!   URL other than the page view id's (by the option's comparison) gets a new one, and the
//!   first page view there keeps it.
//! - `discardHashTag(true)` drops the fragment from `url` and `refr`, `discardBrace(true)` their
//!   braces; `preserveOriginalReferrer` keeps the page's first referrer through SPA navigations.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::facts::PageFacts;
use crate::engine::util::text::find;
use alloc::borrow::Cow;

/// `preservePageViewIdForUrl`: which change of URL gives events a new page view id without a
/// page view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PreserveForUrl {
    /// `false` (default): only page views change the page view id.
    #[default]
    Off,
    /// `true` or `'full'`: any change of the URL.
    Full,
    /// `'pathname'`: a change of its path.
    Pathname,
    /// `'pathnameAndSearch'`: a change of its path or query.
    PathnameAndSearch,
}

impl PreserveForUrl {
    /// The option's string value (`'full'`, `'pathname'`, `'pathnameAndSearch'`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "full" => Some(PreserveForUrl::Full),
            "pathname" => Some(PreserveForUrl::Pathname),
            "pathnameAndSearch" => Some(PreserveForUrl::PathnameAndSearch),
            _ => None,
        }
    }

    /// Whether going from URL `before` to `now` asks for a new page view id.
    fn changed(self, before: &str, now: &str) -> bool {
        match self {
            PreserveForUrl::Off => false,
            PreserveForUrl::Full => before != now,
            PreserveForUrl::Pathname => url_parts(before).0 != url_parts(now).0,
            PreserveForUrl::PathnameAndSearch => url_parts(before) != url_parts(now),
        }
    }
}

/// A URL's path and query (`?…`, empty when none), as `URL.pathname` and `URL.search`.
fn url_parts(url: &str) -> (&str, &str) {
    let url = url.split('#').next().unwrap_or(url);
    let after_scheme = find(url, "://").map_or(0, |at| at + 3);
    let rest = url.get(after_scheme..).unwrap_or("");
    let path_at = rest.bytes().position(|b| b == b'/' || b == b'?').unwrap_or(rest.len());
    let rest = rest.get(path_at..).unwrap_or("");
    let mut parts = rest.splitn(2, '?');
    let path = parts.next().unwrap_or("");
    let search = parts.next().filter(|s| !s.is_empty()).and_then(|_| rest.get(path.len()..)).unwrap_or("");
    (if path.is_empty() { "/" } else { path }, search)
}

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
    /// The URL the page view id was made on (for `preservePageViewIdForUrl`).
    page_view_url: String,
    /// The page view id of the last page view (`None` before the first).
    last_page_view_id: Option<String>,
    preserve_page_view_id: bool,
    preserve_for_url: PreserveForUrl,
    preserve_original_referrer: bool,
    discard_hash_tag: bool,
    discard_brace: bool,
}

impl PageState {
    /// The page state of a tracker with the `preservePageViewIdForUrl` and
    /// `preserveOriginalReferrer` options.
    pub fn new(preserve_for_url: PreserveForUrl, preserve_original_referrer: bool) -> Self {
        PageState { preserve_for_url, preserve_original_referrer, ..PageState::default() }
    }

    /// Notes the page's URL before an event (the JS tracker's `refreshUrl`): when it changed,
    /// the URL before becomes the referrer.
    pub fn refresh(&mut self, page: &PageFacts) {
        match &self.location {
            Some(location) if *location == page.url => return,
            Some(location) => self.referrer.clone_from(location),
            None => {
                self.referrer.clone_from(&page.referrer);
                if cfg!(feature = "full") && self.preserve_original_referrer && !page.referrer.is_empty() {
                    self.custom_referrer.get_or_insert_with(|| page.referrer.clone());
                }
            }
        }
        self.location = Some(page.url.clone());
    }

    /// `url`: the custom URL, else the page's (purified).
    pub fn url(&self) -> Cow<'_, str> {
        self.purify(self.raw_url())
    }

    /// The custom URL, else the page's, as it is.
    fn raw_url(&self) -> &str {
        self.custom_url.as_deref().or(self.location.as_deref()).unwrap_or("")
    }

    /// `refr`: the custom referrer, else the referrer by the rules above (purified).
    pub fn referrer(&self) -> Cow<'_, str> {
        self.purify(self.custom_referrer.as_deref().unwrap_or(&self.referrer))
    }

    /// The referrer by the rules above, without the custom one (`setUserIdFromReferrer`).
    pub fn page_referrer(&self) -> &str {
        &self.referrer
    }

    /// `url` as `discardHashTag` and `discardBrace` have it.
    fn purify<'a>(&self, url: &'a str) -> Cow<'a, str> {
        if !cfg!(feature = "full") {
            return Cow::Borrowed(url); // the core build has neither command
        }
        let url = if self.discard_hash_tag { url.split('#').next().unwrap_or(url) } else { url };
        if self.discard_brace && url.bytes().any(|b| b == b'{' || b == b'}') {
            Cow::Owned(url.chars().filter(|c| !matches!(c, '{' | '}')).collect())
        } else {
            Cow::Borrowed(url)
        }
    }

    /// `discardHashTag(enable)`.
    pub fn discard_hash_tag(&mut self, enable: bool) {
        self.discard_hash_tag = enable;
    }

    /// `discardBrace(enable)`.
    pub fn discard_brace(&mut self, enable: bool) {
        self.discard_brace = enable;
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
        mut new_id: impl FnMut() -> String,
    ) -> String {
        self.page_view_id(&mut new_id);
        if self.last_page_view_id.is_some()
            && self.last_page_view_id == self.page_view_id
            && !self.preserve_page_view_id
        {
            self.renew_page_view_id(new_id());
        }
        self.last_page_view_id.clone_from(&self.page_view_id);
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

    /// The page view id (`getPageViewId()`, the `web_page` entity's `id`), made on first use
    /// (and, with `preservePageViewIdForUrl`, when the URL changed since it was made).
    pub fn page_view_id(&mut self, new_id: impl FnOnce() -> String) -> &str {
        let renew = match &self.page_view_id {
            None => true,
            // The core build has no `preservePageViewIdForUrl`.
            Some(_) => {
                cfg!(feature = "full")
                    && !self.preserve_page_view_id
                    && self.preserve_for_url.changed(&self.page_view_url, self.raw_url())
            }
        };
        if renew {
            self.renew_page_view_id(new_id());
        }
        self.page_view_id.as_deref().unwrap_or_default()
    }

    /// Takes `id` as the page view id, made on the current URL (kept only for
    /// `preservePageViewIdForUrl`, the one reader of it).
    fn renew_page_view_id(&mut self, id: String) {
        if self.preserve_for_url != PreserveForUrl::Off {
            self.page_view_url = self.raw_url().to_owned();
        }
        self.page_view_id = Some(id);
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
        assert_eq!((&*w.url(), &*w.referrer()), ("https://a.example/1", "https://search.example/"));
        w.refresh(&page("https://a.example/1", ""));
        assert_eq!(w.referrer(), "https://search.example/");
        w.refresh(&page("https://a.example/2", ""));
        assert_eq!((&*w.url(), &*w.referrer()), ("https://a.example/2", "https://a.example/1"));
        w.set_custom_url(&page("https://a.example/3", ""), "https://a.example/custom".into());
        assert_eq!((&*w.url(), &*w.referrer()), ("https://a.example/custom", "https://a.example/2"));
        w.refresh(&page("https://a.example/4", ""));
        assert_eq!(
            (&*w.url(), &*w.referrer()),
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

    #[test]
    fn preserve_page_view_id_for_url_renews_the_id_when_the_url_changes() {
        let mut n = 0;
        let mut id = || {
            n += 1;
            format!("id{n}")
        };
        let mut w = PageState::new(PreserveForUrl::Pathname, false);
        w.refresh(&page("https://a.example/shop?x=1#top", ""));
        w.page_view(&page("u", "Doc"), None, &mut id);
        assert_eq!(w.page_view_id(&mut id), "id1");
        w.refresh(&page("https://a.example/shop?x=2#end", ""));
        assert_eq!(w.page_view_id(&mut id), "id1", "same path");
        w.refresh(&page("https://a.example/cart", ""));
        assert_eq!(w.page_view_id(&mut id), "id2", "a new path, no page view");
        w.page_view(&page("u", "Doc"), None, &mut id);
        assert_eq!(w.page_view_id(&mut id), "id2", "the first page view on it keeps it");
        w.page_view(&page("u", "Doc"), None, &mut id);
        assert_eq!(w.page_view_id(&mut id), "id3", "the next one does not");
        let mut w = PageState::new(PreserveForUrl::PathnameAndSearch, false);
        w.refresh(&page("https://a.example/shop?x=1", ""));
        assert_eq!(w.page_view_id(&mut id), "id4");
        w.refresh(&page("https://a.example/shop?x=2", ""));
        assert_eq!(w.page_view_id(&mut id), "id5", "another query");
        let mut w = PageState::new(PreserveForUrl::Off, false);
        w.refresh(&page("https://a.example/shop", ""));
        assert_eq!(w.page_view_id(&mut id), "id6");
        w.refresh(&page("https://a.example/cart", ""));
        assert_eq!(w.page_view_id(&mut id), "id6", "off: only page views change it");
        assert_eq!(url_parts("https://a.example"), ("/", ""));
        assert_eq!(url_parts("https://a.example?q"), ("/", "?q"));
        assert_eq!(url_parts("https://a.example/p/q?r=1&s#f?g"), ("/p/q", "?r=1&s"));
    }

    #[test]
    fn discarding_the_fragment_and_braces_and_keeping_the_first_referrer() {
        let mut w = PageState::new(PreserveForUrl::Off, true);
        w.refresh(&page("https://a.example/{id}/x#frag{1}", ""));
        assert_eq!(&*w.url(), "https://a.example/{id}/x#frag{1}");
        w.discard_hash_tag(true);
        assert_eq!(&*w.url(), "https://a.example/{id}/x");
        w.discard_brace(true);
        assert_eq!(&*w.url(), "https://a.example/id/x");
        w.discard_hash_tag(false);
        assert_eq!(&*w.url(), "https://a.example/id/x#frag1");
        w.refresh(&page("https://a.example/next", ""));
        assert_eq!(&*w.referrer(), "https://search.example/", "the original referrer is kept");
        assert_eq!(w.page_referrer(), "https://a.example/{id}/x#frag{1}");
        let mut w = PageState::new(PreserveForUrl::Off, false);
        w.refresh(&page("https://a.example/1", ""));
        w.refresh(&page("https://a.example/2", ""));
        assert_eq!(&*w.referrer(), "https://a.example/1");
    }
}
