//! History autotracking's rule (`pageViewAutotracking: 'history'`): after `pushState`,
//! `replaceState` or `popstate`, a page view when the URL without its fragment changed since the
//! last one (the page's URL when tracking started, then each autotracked page view's).

#[allow(unused_imports)]
use crate::prelude::*;

/// The URL the last page view was tracked on, without its fragment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryPages {
    last: String,
}

/// `url` without its fragment (from the first `#`).
fn without_fragment(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

impl HistoryPages {
    /// Starts on the page at `url`.
    pub fn new(url: &str) -> Self {
        HistoryPages { last: without_fragment(url).to_owned() }
    }

    /// The history changed and the page is at `url` now: whether that is a new page view (its
    /// URL is then the last one).
    pub fn changed(&mut self, url: &str) -> bool {
        let url = without_fragment(url);
        if url == self.last {
            return false;
        }
        url.clone_into(&mut self.last);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_view_when_the_url_without_its_fragment_changes() {
        let mut pages = HistoryPages::new("https://a.example/?spa=home#top");
        assert!(!pages.changed("https://a.example/?spa=home"), "the fragment alone");
        assert!(pages.changed("https://a.example/?spa=about"));
        assert!(!pages.changed("https://a.example/?spa=about#section"), "the fragment alone");
        assert!(!pages.changed("https://a.example/?spa=about"), "replaceState to the same URL");
        assert!(pages.changed("https://a.example/?spa=home#top"), "back to the start");
        assert!(pages.changed("https://a.example/?spa=about#x"));
        assert!(!pages.changed("https://a.example/?spa=about#y#z"));
    }
}
