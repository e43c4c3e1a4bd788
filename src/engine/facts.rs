//! What the browser and the page tell about themselves: the facts events carry (`tz`, `lang`,
//! `res`, `url`, `vp`, ...), read by the web layer and handed to the core as plain values.

#[allow(unused_imports)]
use crate::prelude::*;

/// Facts about the browser that do not change while the page lives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrowserInfo {
    /// `location.protocol`, `https:` or `http:`.
    pub protocol: String,
    /// `location.hostname`.
    pub hostname: String,
    /// `tz`: the IANA time zone.
    pub timezone: String,
    /// `lang`: `navigator.language`.
    pub language: String,
    /// `cs`: `document.characterSet`.
    pub charset: String,
    /// `res`: screen `WxH`.
    pub resolution: String,
    /// `cd`: screen colour depth.
    pub color_depth: String,
    /// `cookie`: `navigator.cookieEnabled`.
    pub cookie_enabled: bool,
    /// The browser asks not to be tracked (`navigator.doNotTrack` is `1` or `yes`).
    pub do_not_track: bool,
    /// The browser signals Global Privacy Control (`navigator.globalPrivacyControl`).
    pub global_privacy_control: bool,
}

/// Facts about the page read at each event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageFacts {
    /// `location.href` (`url`, unless a custom URL is set; see [`crate::engine::page_state::PageState`]).
    pub url: String,
    /// `document.referrer` (the first `refr`; see [`crate::engine::page_state::PageState`]).
    pub referrer: String,
    /// `document.title` (`page`, on page views and pings).
    pub title: String,
    /// `vp`: viewport `WxH`.
    pub viewport: String,
    /// `ds`: document size `WxH`.
    pub document_size: String,
}
