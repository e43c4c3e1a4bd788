//! The tracker: turns `track*` calls into payloads, applying the session rules and keeping
//! identity state in storage through an [`Env`]. Synchronous and single-threaded; the web
//! layer owns it and performs the network requests its queue asks for.

use crate::core::text::{concat, find, int, push_uint};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::core::config::{Config, Method, StateStorage};
use crate::core::cookie::{self, CookieAttributes};
use crate::core::env::Env;
use crate::core::event::{Event, ScreenView, Timestamp, TrackOptions};
use crate::core::id_cookie::{IdCookie, StorageMechanism};
use crate::core::json::{self, ObjectWriter};
use crate::core::payload::Payload;
use crate::core::queue::{Completion, OutQueue, QueuedEvent, Request, Wire};
use crate::core::session::Session;
use crate::core::state_store::StateStore;
use crate::error::Result;
use alloc::borrow::Cow;

/// A persisted chunk grows to this many bytes at most (one event larger than this is a chunk of
/// its own): large enough that one `setItem` carries many events of a burst, small enough that
/// rewriting or removing it stays cheap.
const CHUNK_MAX_BYTES: usize = 64 * 1024;

/// The chunk of the events tracked in the current task, written to storage at its end (their
/// wire forms, each followed by `\n`: no wire form contains a raw newline).
#[derive(Debug)]
struct PendingChunk {
    seq: u64,
    /// Events queued since the chunk began (persisted in it or not): the chunk's events are
    /// among the last `span` waiting ones.
    span: usize,
}

/// A persisted (or pending) chunk: how many of its events are still queued, and their bytes.
#[derive(Debug, Clone, Copy)]
struct ChunkRefs {
    seq: u64,
    events: usize,
    bytes: usize,
}

/// The `eid` of an event in wire form (POST JSON or GET query), found without parsing it all.
fn event_id_of(wire: &str) -> Option<String> {
    let after = |needle: &str| find(wire, needle).and_then(|at| wire.get(at + needle.len()..));
    let rest = after("\"eid\":\"").or_else(|| after("eid="))?;
    rest.split(['"', '&']).next().map(str::to_owned)
}

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
    /// `url`: `location.href`.
    pub url: String,
    /// `refr`: `document.referrer`.
    pub referrer: String,
    /// `page` (page views only): `document.title`.
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

/// What a `track*` call produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// The event's id (`eid`).
    pub event_id: String,
    /// The `client_session` data when this event began a session (for `onSessionUpdate`).
    pub session_update: Option<String>,
    /// True when the queue was full and the event was dropped (and counted).
    pub dropped: bool,
}

/// Prefix of the localStorage keys of queued events: `snowtrack.q.<namespace>.<tab>.<seq>`.
pub fn queue_key_prefix(namespace: &str) -> String {
    concat(&["snowtrack.q.", namespace, "."])
}

/// The tab id in a queue key made with [`queue_key_prefix`].
pub fn queue_key_tab<'a>(prefix: &str, key: &'a str) -> Option<&'a str> {
    key.strip_prefix(prefix)?.split('.').next()
}

/// An event's own part of the payload, decided before the payload is built.
enum Body {
    PageView(Option<String>),
    Unstruct(String),
    Struct(crate::core::event::StructEvent),
}

/// The fields every event carries, borrowed from the tracker.
struct Common<'a> {
    config: &'a Config,
    browser: &'a BrowserInfo,
    state: &'a IdCookie,
    user_id: Option<&'a str>,
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
        payload.add("refr", page.referrer.as_str());
        payload.add("url", page.url.as_str());
    }
}

/// One tracker (one namespace).
#[derive(Debug)]
pub struct Tracker<W = String> {
    config: Config,
    browser: BrowserInfo,
    store: StateStore,
    session: Session,
    manual_session_update: bool,
    user_id: Option<String>,
    page_view_id: Option<String>,
    page_viewed: bool,
    screen: Option<Screen>,
    queue: OutQueue<W>,
    tab_id: String,
    queue_prefix: String,
    next_seq: u64,
    persisted_bytes: usize,
    pending_chunk: Option<PendingChunk>,
    /// Persisted (or pending) chunks in `seq` order from `chunks_head`; finished ones (no events
    /// left) at the front are skipped, and dropped once they are half of the list (amortized
    /// O(1), one collection type less in the module than a `VecDeque`).
    chunks: Vec<ChunkRefs>,
    chunks_head: usize,
}

impl<W: Wire> Tracker<W> {
    /// Starts a tracker: validates `config`, names the cookies, reads or creates the identity
    /// state and writes it back. `root_domain` is the result of root-domain discovery, which
    /// the web layer performs (it needs real cookie writes).
    ///
    /// # Errors
    /// [`crate::Error::Config`] for an invalid option.
    pub fn new(
        mut config: Config,
        browser: BrowserInfo,
        root_domain: Option<String>,
        env: &mut impl Env<Wire = W>,
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
        let tab_id = env.new_uuid();
        let stored = store.read(env);
        let session = Session::start(stored, now, timeouts, || env.new_uuid()).0;
        store.write(env, session.state(), config.cookie_lifetime_s, session.timeout_s());
        env.commit_cookies();
        Ok(Tracker {
            manual_session_update: false,
            user_id: None,
            page_view_id: None,
            page_viewed: false,
            screen: None,
            queue: OutQueue::new(config.queue_limits),
            queue_prefix: queue_key_prefix(&config.namespace),
            tab_id,
            next_seq: 0,
            persisted_bytes: 0,
            pending_chunk: None,
            chunks: Vec::new(),
            chunks_head: 0,
            session,
            config,
            browser,
            store,
        })
    }

    /// Tracks one event: applies the session rules, builds the payload, updates storage and
    /// queues the event.
    ///
    /// # Errors
    /// [`crate::Error::Event`] when the event is invalid; nothing is tracked then.
    pub fn track(
        &mut self,
        env: &mut impl Env<Wire = W>,
        event: Event,
        options: TrackOptions,
        page: &Page,
    ) -> Result<Tracked> {
        event.validate()?;
        let now = env.now_ms();
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

        // Everything that changes the tracker's state first; the payload then only borrows.
        let body = match event {
            Event::PageView { title } => {
                if core::mem::replace(&mut self.page_viewed, true) {
                    self.page_view_id = Some(env.new_uuid());
                }
                Body::PageView(title)
            }
            Event::ScreenView(screen_view) => Body::Unstruct(self.screen_view(env, screen_view)),
            Event::SelfDescribing(sdj) => Body::Unstruct(sdj.to_json()),
            Event::Struct(se) => Body::Struct(se),
        };
        let mut entities: Vec<String> = options.context.iter().map(|e| e.to_json()).collect();
        if self.config.web_page_context {
            let id = self.page_view_id.get_or_insert_with(|| env.new_uuid());
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
                payload.add("url", page.url.as_str());
                payload.add("page", title.map_or(Cow::Borrowed(page.title.as_str()), Cow::Owned));
                payload.add("refr", page.referrer.as_str());
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
        let wire = env.wire(wire);
        let dropped = !self.enqueue(env, event_id.clone(), wire);
        Ok(Tracked { event_id, session_update: notify.then(|| self.session_context_json()), dropped })
    }

    /// Builds the screen view event body and moves the screen state forward.
    fn screen_view(&mut self, env: &mut impl Env<Wire = W>, sv: ScreenView) -> String {
        let id = sv.id.unwrap_or_else(|| env.new_uuid());
        let mut w = ObjectWriter::new();
        w.string("name", &sv.name).string("id", &id);
        if let Some(t) = &sv.screen_type {
            w.string("type", t);
        }
        if let Some(previous) = &self.screen {
            w.string("previousName", &previous.name).string("previousId", &previous.id);
            if let Some(t) = &previous.screen_type {
                w.string("previousType", t);
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
    pub fn new_session(&mut self, env: &mut impl Env<Wire = W>) -> String {
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
    pub fn set_hidden(&mut self, env: &mut impl Env<Wire = W>, hidden: bool) {
        if self.session.set_hidden(hidden, env.now_ms()) && self.store.read(env).session_alive {
            self.write_state(env);
        }
    }

    /// Sets or clears the business user id (`uid`).
    pub fn set_user_id(&mut self, user_id: Option<String>) {
        self.user_id = user_id.filter(|u| !u.is_empty());
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

    fn write_state(&self, env: &mut impl Env<Wire = W>) {
        self.store.write(env, self.session.state(), self.config.cookie_lifetime_s, self.session.timeout_s());
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Queues an event and adds it to the chunk of the current task, which
    /// [`Tracker::commit_queue`] writes at the end of the task: one `setItem` per task (per
    /// [`CHUNK_MAX_BYTES`]), never a whole-queue rewrite, whatever the queue's length. False
    /// when the queue is full (the event is dropped).
    fn enqueue(&mut self, env: &mut impl Env<Wire = W>, event_id: String, wire: W) -> bool {
        let mut event = QueuedEvent { event_id, wire, chunk: None };
        let size = event.wire.wire_len();
        if !self.queue.has_room(size) {
            return self.queue.push(event);
        }
        let room = self.persisted_bytes + size <= self.config.queue_limits.max_persisted_bytes;
        if self.config.state_storage.persists_queue() && room {
            let chunk_bytes =
                self.pending_chunk.as_ref().and_then(|c| self.chunk_refs_of(c.seq)).map(|r| r.bytes);
            if chunk_bytes.is_some_and(|bytes| bytes + size >= CHUNK_MAX_BYTES) {
                self.commit_queue(env);
            }
            let seq = match &self.pending_chunk {
                Some(chunk) => chunk.seq,
                None => {
                    self.next_seq += 1;
                    self.chunks.push(ChunkRefs { seq: self.next_seq, events: 0, bytes: 0 });
                    self.pending_chunk = Some(PendingChunk { seq: self.next_seq, span: 0 });
                    self.next_seq
                }
            };
            if let Some(refs) = self.chunks.last_mut() {
                refs.events += 1;
                refs.bytes += size;
            }
            event.chunk = Some(seq);
            self.persisted_bytes += size;
        }
        if let Some(chunk) = &mut self.pending_chunk {
            chunk.span += 1;
        }
        self.queue.push(event)
    }

    /// Whether events tracked since the last [`Tracker::commit_queue`] wait to be written.
    pub fn has_unwritten(&self) -> bool {
        self.pending_chunk.is_some()
    }

    /// Writes the events tracked in this task to storage, as one chunk. The web layer calls it
    /// at the end of every task that tracked something, before any other task (an unload
    /// handler, another page's script) can run. If storage refuses, the events stay in memory.
    pub fn commit_queue(&mut self, env: &mut impl Env<Wire = W>) {
        let Some(chunk) = self.pending_chunk.take() else { return };
        let Some(refs) = self.chunk_refs(chunk.seq).map(|r| *r) else { return };
        // The chunk's events are among the last `span` waiting ones: nothing was sent since
        // they were tracked (`next_request` writes the pending chunk before taking any event).
        let mut wires: Vec<&W> = self
            .queue
            .waiting()
            .rev()
            .take(chunk.span)
            .filter(|e| e.chunk == Some(chunk.seq))
            .map(|e| &e.wire)
            .collect();
        wires.reverse();
        if refs.events > 0 && !env.storage_set_wires(&self.chunk_key(chunk.seq), &wires) {
            // Refused: the events live in memory only; their chunk is done as far as storage goes.
            self.persisted_bytes = self.persisted_bytes.saturating_sub(refs.bytes);
            if let Some(r) = self.chunk_refs(chunk.seq) {
                *r = ChunkRefs { seq: refs.seq, events: 0, bytes: 0 };
            }
        }
        self.pop_finished_chunks();
    }

    /// The storage key of this tab's chunk `seq`: `snowtrack.q.<namespace>.<tab id>.<seq>`.
    fn chunk_key(&self, seq: u64) -> String {
        let mut key = concat(&[&self.queue_prefix, &self.tab_id, "."]);
        push_uint(&mut key, seq, 12);
        key
    }

    fn chunk_refs_of(&self, seq: u64) -> Option<&ChunkRefs> {
        let live = self.chunks.get(self.chunks_head..)?;
        live.get(live.binary_search_by_key(&seq, |c| c.seq).ok()?)
    }

    fn chunk_refs(&mut self, seq: u64) -> Option<&mut ChunkRefs> {
        let live = self.chunks.get_mut(self.chunks_head..)?;
        let at = live.binary_search_by_key(&seq, |c| c.seq).ok()?;
        live.get_mut(at)
    }

    fn pop_finished_chunks(&mut self) {
        let pending = self.pending_chunk.as_ref().map(|p| p.seq);
        while self.chunks.get(self.chunks_head).is_some_and(|c| c.events == 0 && Some(c.seq) != pending) {
            self.chunks_head += 1;
        }
        if self.chunks_head > 0 && self.chunks_head * 2 >= self.chunks.len() {
            self.chunks = self.chunks.split_off(self.chunks_head.min(self.chunks.len()));
            self.chunks_head = 0;
        }
    }

    /// This page's tab id, part of its queue keys.
    pub fn tab_id(&self) -> &str {
        &self.tab_id
    }

    /// Prefix of this tracker's queue keys in localStorage.
    pub fn queue_prefix(&self) -> &str {
        &self.queue_prefix
    }

    /// Takes over events persisted by a page that is gone (`keys` from [`Tracker::queue_prefix`]
    /// whose tab is not alive): each is queued and re-keyed under this tab, while the queue has
    /// room (the rest stay persisted for later). Returns how many were taken.
    pub fn adopt(&mut self, env: &mut impl Env<Wire = W>, keys: &[String]) -> usize {
        let mut adopted = 0;
        'keys: for key in keys {
            let Some(text) = env.storage_get(key) else { continue };
            let mut events = text.split('\n').filter(|w| !w.is_empty());
            while let Some(wire) = events.next() {
                if !self.queue.has_room(wire.len()) {
                    // The rest stays persisted, for a later adoption once the queue has drained.
                    let mut left = String::new();
                    for wire in core::iter::once(wire).chain(events) {
                        left.push_str(wire);
                        left.push('\n');
                    }
                    env.storage_set(key, &left);
                    break 'keys;
                }
                let event_id = event_id_of(wire).unwrap_or_default();
                let wire = env.wire(wire.to_owned());
                if self.enqueue(env, event_id, wire) {
                    adopted += 1;
                }
            }
            env.storage_remove(key);
        }
        self.commit_queue(env);
        adopted
    }

    /// The next request to send (see [`OutQueue::next_request`]). The current task's chunk is
    /// written first, so an event is always persisted before it is sent (a page-hide flush can
    /// run in the same task as the `track*` call, before the end-of-task write).
    pub fn next_request(
        &mut self,
        env: &mut impl Env<Wire = W>,
        now_ms: i64,
        max_bytes: Option<usize>,
    ) -> Option<Request<W>> {
        self.commit_queue(env);
        self.queue.next_request(&self.config, now_ms, max_bytes)
    }

    /// Reports how request `id` ended (`status` `None` for no answer) and removes the persisted
    /// copies of the events that left the queue.
    pub fn complete(
        &mut self,
        env: &mut impl Env<Wire = W>,
        id: u64,
        status: Option<u16>,
        jitter: f64,
        retry_after_ms: Option<u64>,
    ) -> (crate::core::queue::Outcome, Completion<W>) {
        let outcome = self.config.retry.outcome(status);
        let done = self.queue.complete(id, outcome, env.now_ms(), &self.config.retry, jitter, retry_after_ms);
        for event in &done.removed {
            let Some(seq) = event.chunk else { continue };
            let Some(refs) = self.chunk_refs(seq) else { continue };
            if refs.events == 0 {
                continue; // its chunk was never written
            }
            refs.events -= 1;
            refs.bytes = refs.bytes.saturating_sub(event.wire.wire_len());
            let finished = refs.events == 0;
            self.persisted_bytes = self.persisted_bytes.saturating_sub(event.wire.wire_len());
            if finished {
                if self.pending_chunk.as_ref().is_some_and(|c| c.seq == seq) {
                    self.pending_chunk = None;
                } else {
                    env.storage_remove(&self.chunk_key(seq));
                }
            }
        }
        self.pop_finished_chunks();
        (outcome, done)
    }

    /// The out-queue.
    pub fn queue(&self) -> &OutQueue<W> {
        &self.queue
    }

    /// The out-queue, mutably.
    pub fn queue_mut(&mut self) -> &mut OutQueue<W> {
        &mut self.queue
    }
}
