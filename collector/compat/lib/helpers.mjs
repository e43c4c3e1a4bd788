// Shared helpers: start the real collector binary (COLLECTOR_BIN) on a free port, query Micro's
// API, wait for events, and check Micro's JSON shapes.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';

export async function startCollector(args = []) {
  const bin = process.env.COLLECTOR_BIN;
  if (!bin) throw new Error('COLLECTOR_BIN must point at the snowtrack-collector binary');
  const child = spawn(bin, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const rl = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    let seen = false;
    rl.on('line', (line) => {
      if (!seen) {
        seen = true;
        resolve(line);
      } else {
        lines.push(line);
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`collector exited early with ${code}`)));
  });
  const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
  assert.ok(m, `unexpected first line: ${first}`);
  const base = m[1];
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  async function json(path, body) {
    const res = await fetch(base + path, body === undefined ? {} : {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, `${path} → ${res.status}`);
    return res.json();
  }

  return {
    base,
    lines,
    all: () => json('/micro/all'),
    good: (filters) => json('/micro/good', filters),
    bad: (filters) => json('/micro/bad', filters),
    async reset() {
      const res = await fetch(base + '/micro/reset');
      assert.equal(await res.text(), 'Reset completed');
    },
    async stop() {
      child.kill('SIGTERM');
      const { code } = await exited;
      return code;
    },
  };
}

export async function waitForTotal(collector, total, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let all;
  for (;;) {
    all = await collector.all();
    if (all.total >= total || Date.now() > deadline) return all;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sorted = (o) => Object.keys(o).sort();

// Micro's GoodEvent: {rawEvent, eventType, schema, contexts, event, incomplete}, with an `event`
// carrying all 131 atomic fields (null when empty).
export function assertMicroGoodShape(g) {
  assert.deepEqual(sorted(g), ['contexts', 'event', 'eventType', 'incomplete', 'rawEvent', 'schema']);
  assert.deepEqual(sorted(g.rawEvent), ['api', 'contentType', 'context', 'parameters', 'source']);
  assert.deepEqual(sorted(g.rawEvent.context), ['headers', 'ipAddress', 'refererUri', 'timestamp', 'userId', 'useragent']);
  assert.deepEqual(sorted(g.rawEvent.api), ['vendor', 'version']);
  assert.equal(g.incomplete, false);
  assert.ok(Array.isArray(g.contexts));
  const ev = g.event;
  assert.equal(Object.keys(ev).length, 131);
  assert.equal(Object.keys(ev)[0], 'app_id');
  assert.equal(Object.keys(ev)[130], 'true_tstamp');
  for (const f of ['event_id', 'collector_tstamp', 'v_collector', 'v_etl', 'event', 'platform', 'derived_tstamp']) {
    assert.ok(ev[f] !== null && ev[f] !== undefined, `event.${f} is set`);
  }
  assert.equal(ev.geo_country, null);
  assert.match(ev.event_id, /^[0-9a-f-]{36}$/);
  assert.match(ev.collector_tstamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);
  assert.equal(g.eventType, ev.event);
  if (ev.event_vendor) {
    assert.equal(g.schema, `iglu:${ev.event_vendor}/${ev.event_name}/${ev.event_format}/${ev.event_version}`);
  }
  const entities = ev.contexts.data ?? [];
  assert.deepEqual(g.contexts, entities.map((e) => e.schema));
  if (ev.unstruct_event !== null) {
    assert.equal(ev.unstruct_event.schema, 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0');
    assert.equal(ev.unstruct_event.data.schema, g.schema);
  }
}

export function entity(goodEvent, name) {
  return (goodEvent.event.contexts.data ?? []).find((e) => e.schema.includes(`/${name}/`));
}
