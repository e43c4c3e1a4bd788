// The snowtrack demo page: a tracker posting to this page's own origin (the local collector serves
// both), buttons for each event type, the identity cookies decoded, and the events the collector
// received, polled from its Micro-compatible API.

const NAMESPACE = 'sp';
const COLLECTOR_URL = window.location.origin;
const POLL_MS = 1000;
const POLL_LIMIT = 100;
const LINK_CLICK_SCHEMA = 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1';
const SCREEN_VIEW_SCHEMA = 'iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0';
const CLIENT_SESSION_PREFIX = 'iglu:com.snowplowanalytics.snowplow/client_session/';
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
    setCollectorStatus(true, `${COLLECTOR_URL}/micro/all: ${summary.total} events`);
  } catch (err) {
    setCollectorStatus(false, String(err));
  } finally {
    refreshIdentity();
    setTimeout(() => pollCollector(refreshIdentity), POLL_MS);
  }
}

// ---- wiring -------------------------------------------------------------------------------------

function wireButtons(tracker, refresh) {
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
  for (const id of ['btn-screen-home', 'btn-screen-products', 'btn-screen-checkout']) {
    action(id, 'Tracked a screen view', (button) => {
      tracker.trackScreenView({ name: button.dataset.screen, type: 'demo' });
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

    const refresh = () => {
      renderCookies(tracker);
      renderSession(tracker);
    };
    wireButtons(tracker, refresh);
    log('Tracker ready', 'ok');
    refresh();
    pollCollector(refresh);
    document.body.dataset.ready = 'true';
  });
}

main();
