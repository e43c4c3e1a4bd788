//! The tracker: turns `track*` calls into events in wire form, applying the session rules and
//! keeping identity state in storage through an [`Env`]. Synchronous and single-threaded; what
//! happens to an event once it is built is [`crate::core::delivery`]'s business.

use crate::core::text::{concat, int, math_round};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::core::config::{Config, Method, StateStorage};
use crate::core::cookie::{self, CookieAttributes};
use crate::core::engagement::{
    LIST_ITEM_VIEW_SCHEMA, Lifecycle, SCREEN_END_SCHEMA, SCROLL_CHANGED_SCHEMA, ScreenSummary,
};
use crate::core::env::Env;
use crate::core::event::{Event, Extents, ScreenView, Timestamp, TrackOptions};
use crate::core::id_cookie::{IdCookie, StorageMechanism};
use crate::core::json::{self, ObjectWriter};
use crate::core::payload::Payload;
use crate::core::session::Session;
use crate::core::state_store::StateStore;
use crate::core::web_page::WebPage;
use crate::error::Result;

/// The `tv` value: `snowtrack-<version>`.
pub const TRACKER_VERSION: &str = concat!("snowtrack-", env!("CARGO_PKG_VERSION"));
/// Schema of the screen view event.
pub const SCREEN_VIEW_SCHEMA: &str = "iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0";
/// Schema of the screen entity.
pub const SCREEN_SCHEMA: &str = "iglu:com.snowplowanalytics.mobile/screen/jsonschema/1-0-0";
/// Schema of the web page entity.
pub const WEB_PAGE_SCHEMA: &str = "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0";
/// Schema of the session entity.
pub const CLIENT_SESSION_SCHEMA: &str = "iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2";

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
}

/// Facts about the page read at each event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// `location.href` (`url`, unless a custom URL is set; see [`WebPage`]).
    pub url: String,
    /// `document.referrer` (the first `refr`; see [`WebPage`]).
    pub referrer: String,
    /// `document.title` (`page`, on page views and pings).
    pub title: String,
    /// `vp`: viewport `WxH`.
    pub viewport: String,
    /// `ds`: document size `WxH`.
    pub document_size: String,
}

/// The screen the user is on, as the screen entity and the next screen view's "previous" describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Screen {
    id: String,
    name: String,
    screen_type: Option<String>,
}

/// An event a `track*` call (or a lifecycle change) produced, for delivery: a call may produce
/// several (a screen view is preceded by the `screen_end` of the screen before), or none (a list
/// item folded into the screen summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// The event's id (`eid`).
    pub event_id: String,
    /// The event in wire form: POST JSON without its closing brace, or a GET query (see
    /// [`Payload::to_post_json`] and [`Payload::to_query`]).
    pub wire: String,
    /// The `client_session` data when this event began a session (for `onSessionUpdate`).
    pub session_update: Option<String>,
}

/// An event's own part of the payload, decided before the payload is built.
enum Body {
    PageView(String),
    PagePing(String, Extents),
    Unstruct(String),
    Struct(crate::core::event::StructEvent),
}

/// The fields every event carries, borrowed from the tracker.
struct Common<'a> {
    config: &'a Config,
    browser: &'a BrowserInfo,
    state: &'a IdCookie,
    user_id: Option<&'a str>,
    web: &'a WebPage,
}

impl<'a> Common<'a> {
    /// Adds them in the JS tracker's order.
    fn add_to(
        &self,
        payload: &mut Payload<'a>,
        event_id: &'a str,
        ts_key: &'static str,
        ts: i64,
        page: &'a Page,
    ) {
        let b = self.browser;
        payload.add("eid", event_id);
        payload.add("tv", TRACKER_VERSION);
        payload.add("tna", self.config.namespace.as_str());
        payload.add("aid", self.config.app_id.as_str());
        payload.add("p", self.config.platform.as_str());
        payload.add("cookie", if b.cookie_enabled { "1" } else { "0" });
        payload.add("cs", b.charset.as_str());
        payload.add("lang", b.language.as_str());
        payload.add("res", b.resolution.as_str());
        payload.add("cd", b.color_depth.as_str());
        payload.add("tz", b.timezone.as_str());
        payload.add(ts_key, int(ts));
        payload.add("vp", page.viewport.as_str());
        payload.add("ds", page.document_size.as_str());
        payload.add("vid", int(self.state.visit_count));
        payload.add("sid", self.state.session_id.as_str());
        payload.add("duid", self.state.domain_user_id.as_str());
        payload.add_opt("uid", self.user_id);
        payload.add("refr", self.web.referrer());
        payload.add("url", self.web.url());
    }
}

/// One tracker (one namespace).
#[derive(Debug)]
pub struct Tracker {
    config: Config,
    browser: BrowserInfo,
    store: StateStore,
    session: Session,
    manual_session_update: bool,
    user_id: Option<String>,
    /// URL, referrer, title and page view id.
    web: WebPage,
    screen: Option<Screen>,
    /// The page is hidden.
    hidden: bool,
    /// The lifecycle state, while `lifecycleAutotracking` is on.
    lifecycle: Option<Lifecycle>,
    /// The current screen's engagement, while `screenEngagementAutotracking` is on and a screen
    /// was viewed.
    summary: Option<ScreenSummary>,
}

impl Tracker {
    /// Starts a tracker: validates `config`, names the cookies, reads or creates the identity
    /// state and writes it back. `root_domain` is the result of root-domain discovery, which
    /// the web layer performs (it needs real cookie writes); `hidden`, whether the page starts
    /// hidden (opened in a background tab).
    ///
    /// # Errors
    /// [`crate::Error::Config`] for an invalid option.
    pub fn new(
        mut config: Config,
        browser: BrowserInfo,
        root_domain: Option<String>,
        hidden: bool,
        env: &mut impl Env,
    ) -> Result<Self> {
        config.validate(&browser.protocol)?;
        let cookie_domain =
            config.cookie_domain.clone().or(root_domain.filter(|_| config.discover_root_domain));
        let hash_domain = cookie_domain.clone().unwrap_or_else(|| cookie::fixup_domain(&browser.hostname));
        let hash = cookie::domain_hash(&hash_domain, "/");
        let cookie_attributes = CookieAttributes {
            domain: cookie_domain,
            same_site: config.cookie_same_site,
            secure: config.secure_cookies(&browser.protocol),
        };
        let store = StateStore {
            strategy: config.state_storage,
            id_key: cookie::cookie_name(&config.cookie_name, "id", &hash),
            ses_key: cookie::cookie_name(&config.cookie_name, "ses", &hash),
            cookie_attributes,
        };
        let timeouts = (config.foreground_timeout_s, config.background_timeout_s);
        let now = env.now_ms();
        let stored = store.read(env);
        let mut session = Session::start(stored, now, timeouts, || env.new_uuid()).0;
        session.set_hidden(hidden, now);
        store.write(env, session.state(), config.cookie_lifetime_s, session.timeout_s());
        env.commit_cookies();
        Ok(Tracker {
            manual_session_update: false,
            user_id: None,
            web: WebPage::default(),
            screen: None,
            hidden,
            lifecycle: config.lifecycle_autotracking.then(|| Lifecycle::new(!hidden)),
            summary: None,
            session,
            config,
            browser,
            store,
        })
    }

    /// Tracks one event (after validating it): applies the session rules, builds the payloads
    /// and updates storage; the events (none, one or more) are appended to `out` in wire form,
    /// for delivery.
    ///
    /// # Errors
    /// [`crate::Error::Event`] when the event is invalid; nothing is tracked then.
    pub fn track(
        &mut self,
        env: &mut impl Env,
        event: Event,
        options: TrackOptions,
        page: &Page,
        out: &mut Vec<Tracked>,
    ) -> Result<()> {
        event.validate()?;
        let engagement = self.config.screen_engagement_autotracking;
        let body = match event {
            Event::PageView { title } => {
                self.web.refresh(page);
                Body::PageView(self.web.page_view(page, title, || env.new_uuid()))
            }
            Event::PagePing(extents) => {
                self.web.refresh(page);
                Body::PagePing(self.web.ping_title(page).to_owned(), extents)
            }
            Event::ScreenView(screen_view) => {
                let now = env.now_ms();
                if let Some(summary) = &mut self.summary {
                    summary.update(now);
                    let summary = summary.entity();
                    let end = json::self_describing(SCREEN_END_SCHEMA, "{}");
                    self.emit(env, Body::Unstruct(end), &TrackOptions::default(), Some(summary), page, out);
                }
                let body = Body::Unstruct(self.screen_view(env, screen_view));
                if engagement {
                    self.summary = Some(ScreenSummary::new(now, self.hidden));
                }
                body
            }
            Event::SelfDescribing(sdj) => Body::Unstruct(sdj.to_json()),
            Event::Struct(se) => Body::Struct(se),
            Event::ListItemView(item) if engagement => {
                if let Some(summary) = &mut self.summary {
                    summary.list_item(item);
                }
                return Ok(());
            }
            Event::ScrollChanged(scroll) if engagement => {
                self.scroll(scroll);
                return Ok(());
            }
            Event::ListItemView(item) => {
                Body::Unstruct(json::self_describing(LIST_ITEM_VIEW_SCHEMA, &item.to_json()))
            }
            Event::ScrollChanged(scroll) => {
                Body::Unstruct(json::self_describing(SCROLL_CHANGED_SCHEMA, &scroll.to_json()))
            }
        };
        self.emit(env, body, &options, None, page, out);
        Ok(())
    }

    /// Folds a scroll position into the current screen's summary (the document's own scroll,
    /// or `trackScrollChanged` while screen engagement is on).
    pub fn scroll(&mut self, scroll: crate::core::engagement::ScrollChanged) {
        if let Some(summary) = &mut self.summary {
            summary.scroll(scroll);
        }
    }

    /// The page became hidden or visible: the screen summary counts the time up to now, and
    /// with lifecycle autotracking on, `application_background` or `application_foreground`
    /// is tracked (checked against the timeout of the state it leaves, as the mobile trackers
    /// do) before the session's timeout changes.
    pub fn visibility(&mut self, env: &mut impl Env, hidden: bool, page: &Page, out: &mut Vec<Tracked>) {
        let now = env.now_ms();
        if let Some(summary) = &mut self.summary {
            summary.set_hidden(now, hidden);
        }
        let transition = self.lifecycle.as_mut().and_then(|l| l.set_visible(!hidden));
        if let Some(transition) = transition {
            let summary = self.summary.as_ref().map(ScreenSummary::entity);
            self.emit(env, Body::Unstruct(transition.event()), &TrackOptions::default(), summary, page, out);
        }
        self.hidden = hidden;
        self.set_hidden(env, hidden);
    }

    /// `pagehide`: the page goes (or enters the back/forward cache). With lifecycle
    /// autotracking, a page still visible goes to the background; without it, the current
    /// screen ends (`screen_end` with its summary), so its time reaches the collector with the
    /// page-hide flush.
    pub fn page_hide(&mut self, env: &mut impl Env, page: &Page, out: &mut Vec<Tracked>) {
        if self.lifecycle.is_some() {
            self.visibility(env, true, page, out);
            return;
        }
        let now = env.now_ms();
        if let Some(summary) = &mut self.summary {
            summary.update(now);
            let summary = summary.entity();
            let end = json::self_describing(SCREEN_END_SCHEMA, "{}");
            self.emit(env, Body::Unstruct(end), &TrackOptions::default(), Some(summary), page, out);
        }
    }

    /// Builds one event and appends it to `out`: session rules, entities (the call's own, then
    /// `web_page`, `screen`, `application_lifecycle`, the given `screen_summary`,
    /// `client_session`), payload, storage.
    fn emit(
        &mut self,
        env: &mut impl Env,
        body: Body,
        options: &TrackOptions,
        summary: Option<String>,
        page: &Page,
        out: &mut Vec<Tracked>,
    ) {
        let now = env.now_ms();
        self.web.refresh(page);
        let event_id = env.new_uuid();
        let stored = self.store.read(env);
        let started = self.session.before_event(stored, now, || env.new_uuid());
        let first_in_session = self.session.state().event_index == 0;
        let (ts_key, ts) = match options.timestamp {
            Some(Timestamp::True(ms)) => ("ttm", ms),
            Some(Timestamp::Device(ms)) => ("dtm", ms),
            None => ("dtm", now),
        };
        self.session.record_event(now, &event_id, ts);

        let mut entities: Vec<String> = options.context.iter().map(|e| e.to_json()).collect();
        if self.config.web_page_context {
            let id = self.web.page_view_id(|| env.new_uuid());
            entities.push(json::self_describing(WEB_PAGE_SCHEMA, &concat(&["{\"id\":\"", id, "\"}"])));
        }
        if let Some(screen) = &self.screen {
            let mut w = ObjectWriter::new();
            w.string("name", &screen.name).string("id", &screen.id);
            if let Some(t) = &screen.screen_type {
                w.string("type", t);
            }
            entities.push(json::self_describing(SCREEN_SCHEMA, &w.finish()));
        }
        if let Some(lifecycle) = &self.lifecycle {
            entities.push(lifecycle.entity());
        }
        entities.extend(summary);
        if self.config.session_context {
            entities.push(json::self_describing(CLIENT_SESSION_SCHEMA, &self.session_context_json()));
        }
        self.write_state(env);
        if started || first_in_session {
            env.commit_cookies();
        }
        let notify = (started || first_in_session) && !core::mem::take(&mut self.manual_session_update);

        let mut payload = Payload::new();
        match body {
            Body::PageView(title) => {
                payload.add("e", "pv");
                payload.add("url", self.web.url());
                payload.add("page", title);
                payload.add("refr", self.web.referrer());
            }
            Body::PagePing(title, extents) => {
                payload.add("e", "pp");
                payload.add("url", self.web.url());
                payload.add("page", title);
                payload.add("refr", self.web.referrer());
                let offsets = [
                    ("pp_mix", extents.min_x),
                    ("pp_max", extents.max_x),
                    ("pp_miy", extents.min_y),
                    ("pp_may", extents.max_y),
                ];
                for (key, offset) in offsets {
                    // A 0 offset is left out, as the JS tracker adds only truthy ones.
                    let offset = math_round(offset);
                    if offset != 0 {
                        payload.add(key, int(offset));
                    }
                }
            }
            Body::Unstruct(json) => {
                payload.add("e", "ue");
                payload.set_unstruct(json);
            }
            Body::Struct(se) => {
                payload.add("e", "se");
                payload.add("se_ca", se.category);
                payload.add("se_ac", se.action);
                payload.add_opt("se_la", se.label);
                payload.add_opt("se_pr", se.property);
                payload.add_opt("se_va", se.value);
            }
        }
        let common = Common {
            config: &self.config,
            browser: &self.browser,
            state: self.session.state(),
            user_id: self.user_id.as_deref(),
            web: &self.web,
        };
        common.add_to(&mut payload, &event_id, ts_key, ts, page);
        for entity in entities {
            payload.add_entity(entity);
        }
        let wire = match self.config.method {
            Method::Post => payload.to_post_json(self.config.encode_base64),
            Method::Get => payload.to_query(self.config.encode_base64),
        };
        drop(payload);
        out.push(Tracked { event_id, wire, session_update: notify.then(|| self.session_context_json()) });
    }

    /// Builds the screen view event body and moves the screen state forward.
    fn screen_view(&mut self, env: &mut impl Env, sv: ScreenView) -> String {
        let id = sv.id.unwrap_or_else(|| env.new_uuid());
        let mut w = ObjectWriter::new();
        w.string("name", &sv.name).string("id", &id);
        if let Some(t) = &sv.screen_type {
            w.string("type", t);
        }
        let given = sv.previous_name.is_some() || sv.previous_id.is_some();
        match &self.screen {
            Some(previous) if !given => {
                w.string("previousName", &previous.name).string("previousId", &previous.id);
                if let Some(t) = &previous.screen_type {
                    w.string("previousType", t);
                }
            }
            _ => {
                for (key, value) in [
                    ("previousName", &sv.previous_name),
                    ("previousId", &sv.previous_id),
                    ("previousType", &sv.previous_type),
                ] {
                    if let Some(value) = value {
                        w.string(key, value);
                    }
                }
            }
        }
        if let Some(t) = &sv.transition_type {
            w.string("transitionType", t);
        }
        self.screen = Some(Screen { id, name: sv.name, screen_type: sv.screen_type });
        json::self_describing(SCREEN_VIEW_SCHEMA, &w.finish())
    }

    /// Starts a new session now (`newSession()`), writing it at once; returns the new
    /// `client_session` data for `onSessionUpdate`.
    pub fn new_session(&mut self, env: &mut impl Env) -> String {
        let now = env.now_ms();
        let stored = self.store.read(env);
        self.session.force_new(stored, now, || env.new_uuid());
        self.write_state(env);
        env.commit_cookies();
        self.manual_session_update = true;
        self.session_context_json()
    }

    /// Notes a page visibility change, rewriting the session cookie when the two inactivity
    /// timeouts differ.
    pub fn set_hidden(&mut self, env: &mut impl Env, hidden: bool) {
        if self.session.set_hidden(hidden, env.now_ms()) && self.store.read(env).session_alive {
            self.write_state(env);
        }
    }

    /// Sets or clears the business user id (`uid`).
    pub fn set_user_id(&mut self, user_id: Option<String>) {
        self.user_id = user_id.filter(|u| !u.is_empty());
    }

    /// The business user id (`getUserId()`).
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The page's URL, referrer, title and page view id (`setCustomUrl`, `getPageViewId`, ...).
    pub fn web_page(&mut self) -> &mut WebPage {
        &mut self.web
    }

    /// `getDomainUserInfo()`: whether an `_sp_id` is stored, and its value read afresh (else the
    /// tracker's own state), in the cookie's form.
    pub fn domain_user_info(&self, env: &mut impl Env) -> (bool, String) {
        let stored = self.store.read(env).id_cookie;
        (stored.is_some(), stored.as_ref().unwrap_or(self.session.state()).serialize())
    }

    /// The current `client_session` entity data.
    pub fn session_context_json(&self) -> String {
        let mechanism = match self.config.state_storage {
            StateStorage::LocalStorage => StorageMechanism::LocalStorage,
            _ => StorageMechanism::Cookie,
        };
        self.session.state().client_session_json(mechanism)
    }

    /// The identity and session state as of the latest event (the JS tracker's memorized values).
    pub fn state(&self) -> &IdCookie {
        self.session.state()
    }

    /// Names of the id and session cookies (or localStorage keys).
    pub fn storage_keys(&self) -> (&str, &str) {
        (&self.store.id_key, &self.store.ses_key)
    }

    fn write_state(&self, env: &mut impl Env) {
        self.store.write(env, self.session.state(), self.config.cookie_lifetime_s, self.session.timeout_s());
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}
