// The snowtrack demo page: a tracker posting to this page's own origin (the local collector serves
// both), buttons for each event type, the identity cookies decoded, and the events the collector
// received, polled from its Micro-compatible API. A small "app" shows the mobile data model on the
// web: screens, a product list whose items and scroll go into the screen summary, the page's
// visibility as the app's lifecycle, and the summaries the collector received.

const NAMESPACE = 'sp';
const COLLECTOR_URL = window.location.origin;
const POLL_MS = 1000;
const POLL_LIMIT = 100;
const LINK_CLICK_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1';
const SCREEN_VIEW_SCHEMA = 'iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0';
const CLIENT_SESSION_PREFIX = 'iglu:com.snowplowanalytics.snowplow/client_session/';
/** Events that carry a `screen_summary` entity, by schema name, with the label the page shows. */
const SUMMARY_EVENTS = { screen_end: 'screen end', application_background: 'background', application_foreground: 'foreground' };
/** Rows in the screen summaries table. */
const MAX_SUMMARIES = 12;
/** The demo app's product list. */
const PRODUCT_COUNT = 40;
const PRODUCT_COLOURS = ['Glacier', 'Pine', 'Ember', 'Slate', 'Frost'];
const PRODUCT_KINDS = ['parka', 'beanie', 'mittens', 'snow boots', 'scarf', 'ski goggles', 'thermal socks', 'fleece'];
/** How much of a list item must be visible for it to count as seen. */
const ITEM_SEEN_RATIO = 0.6;
/** Tracker-protocol `e` values, for bad events (good ones have the enriched event type). */
const RAW_EVENT_TYPES = { pv: 'page view', pp: 'page ping', ue: 'self-describing', se: 'structured' };

/** The ten dot-separated fields of the `_sp_id` cookie, in order. */
const ID_COOKIE_FIELDS = [
  { key: 'duid', label: 'duid', about: 'domain user id: this browser, kept for 2 years' },
  { key: 'created', label: 'created', about: 'when the cookie was first written', unit: 's' },
  { key: 'sessionIndex', label: 'session index', about: 'sessions so far (domain_sessionidx)' },
  { key: 'lastActivity', label: 'last activity', about: 'time of the latest event', unit: 's' },
  { key: 'lastVisit', label: 'last visit', about: 'last activity of the previous session', unit: 's' },
  { key: 'sessionId', label: 'session id', about: 'current session (domain_sessionid)' },
  { key: 'previousSessionId', label: 'previous session id', about: 'the session before this one' },
  { key: 'firstEventId', label: 'first event id', about: 'event_id of the session’s first event' },
  { key: 'firstEventTs', label: 'first event ts', about: 'device time of that event', unit: 'ms' },
  { key: 'eventIndex', label: 'event index', about: 'events tracked in this session' },
];

const $ = (id) => document.getElementById(id);

/** Creates an element; `props` are assigned (`class` → className), children appended (strings as text). */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const empty = () => el('span', { class: 'muted' }, '(empty)');

/** `document.cookie`'s value for `name`, decoded, or null. */
function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return part.slice(eq + 1).trim();
      }
    }
  }
  return null;
}

function formatTime(ms) {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} `
    + `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function formatAgo(ms) {
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 0) return 'in the future';
  if (s < 5) return 'just now';
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/** What a field value means, for the "Meaning" column. */
function describe(field, value) {
  if (field.unit && value !== '' && value !== undefined) {
    const ms = Number(value) * (field.unit === 's' ? 1000 : 1);
    if (!Number.isFinite(ms)) return el('span', { class: 'warn' }, 'not a number');
    return el('span', { title: field.about }, formatTime(ms), el('span', { class: 'muted' }, ` · ${formatAgo(ms)}`));
  }
  return el('span', { class: 'muted' }, field.about);
}

// ---- activity log -------------------------------------------------------------------------------

const MAX_ACTIVITY = 8;
let activityStarted = false;

function log(message, kind = 'info') {
  const list = $('activity');
  if (!activityStarted) {
    list.replaceChildren();
    activityStarted = true;
  }
  list.prepend(el('li', { class: `activity-${kind}` },
    el('time', {}, formatTime(Date.now()).slice(11)), ' ', message));
  while (list.children.length > MAX_ACTIVITY) list.lastElementChild.remove();
}

// ---- identity panels ----------------------------------------------------------------------------

function renderCookies(tracker) {
  const idName = tracker.getCookieName('id');
  const sesName = tracker.getCookieName('ses');
  const idValue = readCookie(idName);
  const sesValue = readCookie(sesName);
  $('id-cookie-name').textContent = idName;
  $('ses-cookie-name').textContent = sesName;
  $('id-cookie-raw').replaceChildren(idValue === null ? empty() : idValue);
  $('ses-cookie-raw').replaceChildren(sesValue === null ? empty() : sesValue);
  $('ses-cookie-state').textContent = sesValue === null
    ? 'absent: the next event starts a new session'
    : 'present: the session is active (sliding 30-minute expiry)';

  const values = idValue === null ? [] : idValue.split('.');
  const rows = ID_COOKIE_FIELDS.map((field, i) => {
    const value = values[i] ?? '';
    return el('tr', { dataset: { field: field.key } },
      el('td', { class: 'num muted' }, i + 1),
      el('th', { scope: 'row' }, field.label),
      el('td', { class: 'mono value' }, value === '' ? empty() : value),
      el('td', {}, describe(field, value)));
  });
  $('id-cookie-fields').tBodies[0].replaceChildren(...rows);
}

function renderSession(tracker) {
  const session = tracker.getSessionContext();
  const body = $('session-context').tBodies[0];
  if (!session) {
    body.replaceChildren(el('tr', {}, el('td', { class: 'muted' }, 'No session yet.')));
    return;
  }
  body.replaceChildren(...Object.entries(session).map(([key, value]) =>
    el('tr', { dataset: { key } },
      el('th', { scope: 'row' }, key),
      el('td', { class: 'mono value' }, value === null || value === '' ? empty() : String(value)))));
}

// ---- collector events ---------------------------------------------------------------------------

async function fetchJson(path, body) {
  const init = body === undefined
    ? { cache: 'no-store' }
    : { method: 'POST', cache: 'no-store', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(path, init);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

/** Splits `iglu:vendor/name/jsonschema/1-0-0` into vendor, name and version (null if it is not one). */
function schemaParts(uri) {
  const match = /^iglu:([^/]+)\/([^/]+)\/[^/]+\/([^/]+)$/.exec(uri ?? '');
  return match ? { vendor: match[1], name: match[2], version: match[3] } : null;
}

function goodRow(good) {
  const event = good.event ?? {};
  const entities = event.contexts?.data ?? [];
  const session = entities.find((e) => e.schema?.startsWith(CLIENT_SESSION_PREFIX))?.data;
  const inner = event.unstruct_event?.data?.data ?? {};
  let type = good.eventType ?? '?';
  let details = '';
  if (good.eventType === 'page_view') {
    type = 'page view';
    details = event.page_title ?? '';
  } else if (good.eventType === 'struct') {
    type = 'structured';
    details = [event.se_category, event.se_action, event.se_label].filter(Boolean).join(' / ');
  } else if (good.schema === SCREEN_VIEW_SCHEMA) {
    type = 'screen view';
    details = inner.previousName ? `${inner.name} ← ${inner.previousName}` : inner.name ?? '';
  } else if (isSummaryEvent(good.schema)) {
    const row = summaryRow(good);
    type = row.label;
    details = [row.screen && `screen “${row.screen}”`, row.summary && `${seconds(row.summary.foreground_sec)} foreground`,
      row.summary && `${seconds(row.summary.background_sec)} background`].filter(Boolean).join(' · ');
  } else if (good.eventType === 'unstruct') {
    type = 'self-describing';
    details = inner.targetUrl ?? JSON.stringify(inner);
  }
  return {
    ok: true,
    time: event.collector_tstamp,
    type,
    rawType: good.eventType,
    schema: good.schema,
    details,
    sessionIndex: event.domain_sessionidx,
    eventIndex: session?.eventIndex,
    eventId: event.event_id,
  };
}

/**
 * What went wrong with a bad event: the messages of its bad-row JSON errors (falling back to the
 * plain-text errors), and the schema they are about, if any.
 */
function badReason(errors = []) {
  const texts = [];
  let schema = null;
  for (const error of errors) {
    let messages = null;
    try {
      messages = JSON.parse(error)?.data?.failure?.messages;
    } catch {
      // plain text
    }
    if (!Array.isArray(messages)) continue;
    for (const m of messages) {
      schema ??= m?.schemaKey ?? null;
      const text = m?.message ?? m?.error?.dataReports?.[0]?.message ?? m?.error?.error;
      if (text) texts.push(String(text));
    }
  }
  if (!texts.length) texts.push(...errors.filter((e) => typeof e === 'string'));
  return { reason: texts.join('; ') || 'rejected', schema };
}

function badRow(bad) {
  const params = bad.rawEvent?.parameters ?? {};
  const context = bad.rawEvent?.context ?? bad.collectorPayload?.context ?? {};
  const { reason, schema } = badReason(bad.errors);
  return {
    ok: false,
    time: context.timestamp,
    type: RAW_EVENT_TYPES[params.e] ?? params.e ?? 'unknown',
    rawType: params.e,
    schema,
    details: reason,
    sessionIndex: params.vid,
    eventIndex: undefined,
    eventId: params.eid,
  };
}

function eventRow(row) {
  const schema = schemaParts(row.schema);
  const time = Date.parse(row.time ?? '');
  return el('tr', { class: row.ok ? 'row-good' : 'row-bad', dataset: { type: row.rawType ?? '', status: row.ok ? 'good' : 'bad' } },
    el('td', { class: 'mono nowrap', title: row.time ?? '' }, Number.isNaN(time) ? '–' : formatTime(time).slice(11)),
    el('td', {}, el('span', { class: `pill ${row.ok ? 'pill-good' : 'pill-bad'}` }, row.ok ? 'good' : 'bad')),
    el('td', { class: 'nowrap', title: row.rawType ?? '' }, row.type),
    el('td', { title: row.schema ?? '' }, schema
      ? [el('span', { class: 'mono' }, `${schema.name}`), el('span', { class: 'muted mono' }, ` ${schema.version}`)]
      : el('span', { class: 'muted' }, '–')),
    el('td', { class: 'details', title: row.details ?? '' }, row.details || el('span', { class: 'muted' }, '–')),
    el('td', { class: 'num mono' }, row.sessionIndex ?? '–'),
    el('td', { class: 'num mono' }, row.eventIndex ?? '–'),
    el('td', { class: 'mono muted', title: row.eventId ?? '' }, row.eventId ? `${row.eventId.slice(0, 8)}…` : '–'));
}

let lastSignature = '';

function renderEvents(summary, good, bad) {
  $('count-good').textContent = `${summary.good ?? good.length} good`;
  $('count-bad').textContent = `${summary.bad ?? bad.length} bad`;
  const rows = [...good.map(goodRow), ...bad.map(badRow)]
    .sort((a, b) => (Date.parse(b.time ?? '') || 0) - (Date.parse(a.time ?? '') || 0));
  const signature = `${summary.total}|${rows.map((r) => `${r.eventId}${r.ok}`).join(',')}`;
  if (signature === lastSignature) return;
  lastSignature = signature;
  const body = $('events').tBodies[0];
  body.replaceChildren(...(rows.length
    ? rows.map(eventRow)
    : [el('tr', { class: 'empty' }, el('td', { colSpan: 8 }, 'No events yet — click a button above.'))]));
}

// ---- screen summaries ---------------------------------------------------------------------------

/** Whether the event with this schema carries a screen summary. */
const isSummaryEvent = (schema) => Object.hasOwn(SUMMARY_EVENTS, schemaParts(schema)?.name ?? '');

/** The data of the first entity named `name` (any vendor and version) on an enriched event. */
function entityData(event, name) {
  return (event.contexts?.data ?? []).find((e) => schemaParts(e.schema)?.name === name)?.data;
}

/** `4.2 s` from a number of seconds (`–` when missing). */
const seconds = (value) => (typeof value === 'number' ? `${value.toFixed(1)} s` : '–');

/** `last / count`: the last item seen (1-based) of the list's items, or null. */
function itemsText(summary) {
  if (typeof summary?.items_count !== 'number') return null;
  return `${(summary.last_item_index ?? -1) + 1} / ${summary.items_count}`;
}

/** Scroll depth in percent: how far down the bottom edge of the view got, or null. */
function scrollDepth(summary) {
  const { max_y_offset: maxY, content_height: height } = summary ?? {};
  return typeof maxY === 'number' && height > 0 ? Math.round((100 * maxY) / height) : null;
}

/** A screen_end / application_background / application_foreground event, read for the summaries table. */
function summaryRow(good) {
  const event = good.event ?? {};
  const name = schemaParts(good.schema)?.name;
  const inner = event.unstruct_event?.data?.data ?? {};
  const index = inner.backgroundIndex ?? inner.foregroundIndex;
  return {
    id: event.event_id,
    kind: name,
    label: index === undefined ? SUMMARY_EVENTS[name] : `${SUMMARY_EVENTS[name]} #${index}`,
    time: event.dvce_created_tstamp ?? event.collector_tstamp,
    screen: entityData(event, 'screen')?.name,
    summary: entityData(event, 'screen_summary'),
    lifecycle: entityData(event, 'application_lifecycle'),
  };
}

const dash = () => el('span', { class: 'muted' }, '–');

function summaryTableRow(row) {
  const { summary, lifecycle } = row;
  const time = Date.parse(row.time ?? '');
  const depth = scrollDepth(summary);
  return el('tr', { dataset: { event: row.kind, screen: row.screen ?? '' } },
    el('td', { class: 'mono nowrap', title: row.time ?? '' }, Number.isNaN(time) ? '–' : formatTime(time).slice(11)),
    el('td', { class: 'nowrap' }, el('span', { class: `kind kind-${row.kind}` }, row.label)),
    el('td', { dataset: { col: 'screen' } }, row.screen ?? dash()),
    el('td', { class: 'num mono', dataset: { col: 'foreground' } }, seconds(summary?.foreground_sec)),
    el('td', { class: 'num mono', dataset: { col: 'background' } }, seconds(summary?.background_sec)),
    el('td', { class: 'num mono', dataset: { col: 'items' } }, itemsText(summary) ?? dash()),
    el('td', {
      class: 'num mono',
      dataset: { col: 'depth' },
      title: depth === null ? 'no scroll reported' : `max_y_offset ${summary.max_y_offset} px of content_height ${summary.content_height} px`,
    }, depth === null ? dash() : `${depth} %`),
    el('td', { class: 'nowrap', dataset: { col: 'lifecycle' } }, lifecycle
      ? [el('span', { class: lifecycle.isVisible ? 'state-visible' : 'state-hidden' }, lifecycle.isVisible ? 'visible' : 'hidden'),
        el('span', { class: 'muted' }, ` · index ${lifecycle.index}`)]
      : dash()));
}

/** One sentence about the newest summary, for the live region above the table. */
function describeSummary(row) {
  const { summary } = row;
  const parts = [`${seconds(summary?.foreground_sec)} in the foreground`, `${seconds(summary?.background_sec)} in the background`];
  const items = itemsText(summary);
  if (items) parts.push(`items ${items.replace(' / ', ' of ')}`);
  const depth = scrollDepth(summary);
  if (depth !== null) parts.push(`scrolled ${depth} %`);
  return `Latest: ${row.label}${row.screen ? ` of “${row.screen}”` : ''}: ${parts.join(', ')}.`;
}

let lastSummaries = '';

function renderSummaries(good) {
  const ids = new Set();
  const rows = good
    .filter((g) => isSummaryEvent(g.schema))
    .map(summaryRow)
    // Delivery is at least once: an event sent again (same event_id, e.g. the keepalive flush of a
    // page that left, re-sent by the next page) is shown once, as the data model counts it.
    .filter((row) => !ids.has(row.id) && ids.add(row.id))
    // Newest first by device time (a screen_end and the screen view after it arrive together).
    .sort((a, b) => (Date.parse(b.time ?? '') || 0) - (Date.parse(a.time ?? '') || 0))
    .slice(0, MAX_SUMMARIES);
  const signature = rows.map((r) => r.id).join(',');
  if (signature === lastSummaries) return;
  lastSummaries = signature;
  const body = $('summaries').tBodies[0];
  if (!rows.length) {
    body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colSpan: 8 }, 'No screen summary received yet.')));
    $('summary-latest').textContent = 'No screen summary yet: view a screen, then another one.';
    return;
  }
  body.replaceChildren(...rows.map(summaryTableRow));
  $('summary-latest').textContent = describeSummary(rows[0]);
}

function setCollectorStatus(ok, detail) {
  const status = $('collector-status');
  status.className = `status ${ok ? 'status-ok' : 'status-down'}`;
  status.textContent = ok ? 'collector: connected' : 'collector: unreachable';
  status.title = detail;
}

async function pollCollector(refreshIdentity) {
  try {
    const [summary, good, bad] = await Promise.all([
      fetchJson('/micro/all'),
      fetchJson('/micro/good', { limit: POLL_LIMIT }),
      fetchJson('/micro/bad', { limit: POLL_LIMIT }),
    ]);
    renderEvents(summary, good, bad);
    renderSummaries(good);
    setCollectorStatus(true, `${COLLECTOR_URL}/micro/all: ${summary.total} events`);
  } catch (err) {
    setCollectorStatus(false, String(err));
  } finally {
    refreshIdentity();
    setTimeout(() => pollCollector(refreshIdentity), POLL_MS);
  }
}

// ---- the demo app: screens, a list, the page's visibility -------------------------------------

/**
 * The "app" card: each screen shown is a screen view; on Products, the list items that become
 * visible are reported with `trackListItemView` and the list's scroll with `trackScrollChanged`,
 * both folded by the tracker into the screen's summary (sent with the `screen_end` before the
 * next screen view). The page's real visibility is shown: the tracker turns it into
 * application_background / application_foreground itself.
 */
function createApp(tracker) {
  const scroller = $('product-scroll');
  const list = $('product-list');
  const panels = [...document.querySelectorAll('.app-body [data-screen]')];
  const tabs = [...document.querySelectorAll('.app-tab')];
  const screen = { name: null, since: 0, start: 0, seen: new Set(), lastIndex: -1, depth: null };
  const visibility = { hidden: 0, shown: 0 };

  list.replaceChildren(...Array.from({ length: PRODUCT_COUNT }, (_, index) => {
    const name = `${PRODUCT_COLOURS[index % PRODUCT_COLOURS.length]} ${PRODUCT_KINDS[Math.floor(index / PRODUCT_COLOURS.length) % PRODUCT_KINDS.length]}`;
    const price = 19 + ((index * 37) % 180);
    return el('li', { class: 'product', dataset: { index: String(index) } },
      el('span', { class: 'product-swatch', 'aria-hidden': 'true', style: `--hue: ${(index * 47) % 360}` }, String(index + 1)),
      el('span', { class: 'product-name' }, name),
      el('span', { class: 'product-price mono' }, `€${price}.00`));
  }));

  const onProducts = () => screen.name === 'Products';

  const renderLive = () => {
    $('live-screen').replaceChildren(screen.name ?? el('span', { class: 'muted' }, 'none yet'));
    $('live-items').replaceChildren(onProducts()
      ? `${screen.seen.size} seen · last item ${screen.lastIndex + 1} of ${PRODUCT_COUNT}`
      : el('span', { class: 'muted' }, 'no list on this screen'));
    $('live-scroll').replaceChildren(onProducts() && screen.depth !== null
      ? `${screen.depth} % (how far down the list the view’s bottom edge got)`
      : el('span', { class: 'muted' }, '–'));
    $('app-since').textContent = screen.name ? `${Math.round((Date.now() - screen.since) / 1000)} s` : '';
  };

  const renderVisibility = () => {
    const hidden = document.visibilityState === 'hidden';
    $('live-visibility').textContent = `${hidden ? 'hidden: the app is in the background' : 'visible: the app is in the foreground'}`
      + ` (hidden ${visibility.hidden}×, shown again ${visibility.shown}×)`;
  };

  /** Reports the list's scroll position (scroll events come at most once a frame). */
  const reportScroll = () => {
    if (!onProducts()) return;
    const position = {
      xOffset: Math.round(scroller.scrollLeft),
      yOffset: Math.round(scroller.scrollTop),
      viewWidth: scroller.clientWidth,
      viewHeight: scroller.clientHeight,
      contentWidth: scroller.scrollWidth,
      contentHeight: scroller.scrollHeight,
    };
    if (!position.contentHeight) return; // not laid out
    tracker.trackScrollChanged(position);
    const depth = Math.round((100 * (position.yOffset + position.viewHeight)) / position.contentHeight);
    screen.depth = Math.max(screen.depth ?? 0, depth);
    renderLive();
  };

  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      // Entries computed before this screen was shown belong to an earlier visit.
      if (!entry.isIntersecting || !onProducts() || entry.time < screen.start) continue;
      const index = Number(entry.target.dataset.index);
      if (screen.seen.has(index)) continue;
      screen.seen.add(index);
      screen.lastIndex = Math.max(screen.lastIndex, index);
      entry.target.dataset.seen = 'true';
      tracker.trackListItemView({ index, itemsCount: PRODUCT_COUNT });
    }
    renderLive();
  }, { root: scroller, threshold: ITEM_SEEN_RATIO });
  for (const item of list.children) observer.observe(item);
  scroller.addEventListener('scroll', reportScroll, { passive: true });

  document.addEventListener('visibilitychange', () => {
    const hidden = document.visibilityState === 'hidden';
    visibility[hidden ? 'hidden' : 'shown'] += 1;
    renderVisibility();
    log(hidden
      ? 'Page hidden: the tracker sent application_background'
      : 'Page visible again: the tracker sent application_foreground', 'ok');
  });
  renderVisibility();
  renderLive();

  return {
    renderLive,
    /** Shows screen `name`: its screen view first (ending the screen before), then its content. */
    show(name) {
      tracker.trackScreenView({ name, type: 'demo' });
      Object.assign(screen, { name, since: Date.now(), start: performance.now(), seen: new Set(), lastIndex: -1, depth: null });
      $('screen-none').hidden = true;
      for (const panel of panels) panel.hidden = panel.dataset.screen !== name;
      for (const tab of tabs) tab.setAttribute('aria-pressed', String(tab.dataset.screen === name));
      $('app-title').textContent = name;
      for (const item of list.children) delete item.dataset.seen;
      if (onProducts()) {
        scroller.scrollTop = 0;
        reportScroll(); // the first position: the top of the list
        // Observing again reports the items visible now, also when Products follows Products.
        for (const item of list.children) {
          observer.unobserve(item);
          observer.observe(item);
        }
      }
      renderLive();
    },
  };
}

// ---- wiring -------------------------------------------------------------------------------------

function wireButtons(tracker, app, refresh) {
  let structCount = 0;
  /** Runs a tracker call for a button, logging the outcome and refreshing the panels. */
  const action = (id, label, run) => {
    const button = $(id);
    button.disabled = false;
    button.addEventListener('click', async () => {
      try {
        const note = await run(button);
        log(note ?? label, 'ok');
      } catch (err) {
        log(`${label} failed: ${err?.message ?? err}`, 'error');
      }
      refresh();
    });
  };

  action('btn-page-view', 'Tracked a page view', () => tracker.trackPageView({ title: document.title }));
  // The Track card's screen buttons and the app's tab bar do the same: show the screen.
  for (const id of ['btn-screen-home', 'btn-screen-products', 'btn-screen-checkout', 'tab-home', 'tab-products', 'tab-checkout']) {
    action(id, 'Tracked a screen view', (button) => {
      app.show(button.dataset.screen);
      return `Tracked screen view “${button.dataset.screen}”`;
    });
  }
  action('btn-self-describing', 'Tracked a link click', () => tracker.trackSelfDescribingEvent({
    event: {
      schema: LINK_CLICK_SCHEMA,
      data: { targetUrl: `${COLLECTOR_URL}/micro/ui`, elementId: 'btn-self-describing', elementContent: 'Track link click' },
    },
  }));
  action('btn-struct', 'Tracked a structured event', () => {
    structCount += 1;
    tracker.trackStructEvent({ category: 'demo', action: 'button-click', label: 'structured', property: 'demo-page', value: structCount });
  });
  action('btn-new-session', 'Started a new session', () => tracker.newSession());
  action('btn-flush', 'Flushed', async () => (await tracker.flush())
    ? 'Flushed: the queue is empty'
    : 'Flush: events are still queued or in flight (is the collector up?)');

  $('btn-reset-collector').addEventListener('click', async () => {
    try {
      await fetch('/micro/reset', { method: 'POST' });
      log('Cleared the collector’s events', 'ok');
    } catch (err) {
      log(`Clearing failed: ${err?.message ?? err}`, 'error');
    }
  });
}

/** How long the tag's loader may take before the page says it did not load. */
const LOAD_TIMEOUT_MS = 10_000;

function main() {
  const failed = (why) => {
    const banner = $('load-error');
    banner.hidden = false;
    banner.textContent = `snowtrack did not load (${why}). `
      + 'Run `make demo`: it builds the package and links it into www/npm.';
    $('activity').replaceChildren(el('li', { class: 'activity-error' }, 'snowtrack did not load.'));
  };
  // window.snowtrack is the command queue defined by the tag in index.html.
  const snowtrack = window.snowtrack;
  if (typeof snowtrack !== 'function') {
    failed('the tag is missing from index.html');
    return;
  }
  const timer = setTimeout(() => failed('npm/loader.js did not arrive'), LOAD_TIMEOUT_MS);

  snowtrack('newTracker', NAMESPACE, COLLECTOR_URL, {
    appId: 'snowtrack-demo',
    contexts: { session: true, webPage: true },
    // The mobile data model (all on by default): application_background / _foreground and the
    // application_lifecycle entity, screen_end + screen_summary before each screen view.
    lifecycleAutotracking: true,
    screenEngagementAutotracking: true,
    // The demo's list scrolls inside its own frame and is reported with trackScrollChanged; the
    // document's scroll (on by default) would mix the page's extent into the same summary.
    screenEngagementScroll: false,
    onSessionUpdate: (session) => log(`Session #${session.sessionIndex} started (${session.sessionId.slice(0, 8)}…)`, 'session'),
  });
  snowtrack(function () {
    clearTimeout(timer);
    const tracker = this[NAMESPACE];
    if (!tracker || !tracker.getDomainUserId()) {
      failed('WebAssembly is blocked or unavailable here: see the console');
      return;
    }
    window.snowtrackDemo = { tracker };
    $('tracker-namespace').textContent = NAMESPACE;
    $('tracker-collector').textContent = COLLECTOR_URL;

    const app = createApp(tracker);
    const refresh = () => {
      renderCookies(tracker);
      renderSession(tracker);
      app.renderLive();
    };
    wireButtons(tracker, app, refresh);
    log('Tracker ready', 'ok');
    refresh();
    pollCollector(refresh);
    document.body.dataset.ready = 'true';
  });
}

main();
