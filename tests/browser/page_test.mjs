// The page at / in a real browser: Debian's chromium driven by
// playwright-core, headless, against a real soundsearchd on loopback with
// sounds the test makes with sox. Uploads a file and sees ranked results,
// plays a preview, compares two spaces side by side, runs a text query, a
// random sound of a label (AP@15 shown), "more like this", a bad upload
// (message shown), and the collection page; writes a screenshot of each.
// Run by ctest (page_browser_test); env: SOUNDSEARCHD, SOUNDSEARCH_CLI,
// SCREENSHOTS (folder), CHROMIUM (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('page_test: playwright-core is missing: run scripts/setup (npm ci in tests/browser)');
  process.exit(1);
}

const daemon = process.env.SOUNDSEARCHD;
const cli = process.env.SOUNDSEARCH_CLI;
const shots = process.env.SCREENSHOTS || join(tmpdir(), 'soundsearch-screenshots');
assert.ok(daemon && cli, 'SOUNDSEARCHD and SOUNDSEARCH_CLI must name the built binaries');
mkdirSync(shots, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'soundsearch-page-'));

// Two spaces to compare side by side.
const config = join(work, 'spaces.json');
writeFileSync(config, JSON.stringify({ spaces: [
  { name: 'dsp', encoder: { kind: 'dsp', sample_rate: 22050 } },
  { name: 'mfcc', encoder: { kind: 'mfcc', sample_rate: 16000 } },
] }));

// Sounds: four tones (label Tone, tag sine) and four noises (Noise, hiss).
const sounds = [];
for (let i = 0; i < 4; i++) {
  const tone = join(work, `tone${i}.wav`);
  execFileSync('sox', ['-n', '-r', '22050', '-c', '1', tone, 'synth', '1.5', 'sine', String(300 + 150 * i)]);
  sounds.push({ path: tone, label: 'Tone', tag: 'sine', name: `tone ${300 + 150 * i} Hz` });
  const noise = join(work, `noise${i}.wav`);
  execFileSync('sox', ['-n', '-r', '22050', '-c', '1', noise, 'synth', '1.5', i % 2 ? 'pinknoise' : 'whitenoise', 'vol', String(0.3 + 0.1 * i)]);
  sounds.push({ path: noise, label: 'Noise', tag: 'hiss', name: `noise ${i}` });
}
const queryFile = join(work, 'query.wav');
execFileSync('sox', ['-n', '-r', '22050', '-c', '1', queryFile, 'synth', '1.2', 'sine', '520']);

// The server on free loopback ports, read from its start-up line.
const server = spawn(daemon, ['--data-dir', join(work, 'data'), '--listen', '127.0.0.1:0',
  '--metrics-listen', '', '--http-listen', '127.0.0.1:0', '--config', config,
  '--query-threads', '2', '--ingest-workers', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
const ports = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('soundsearchd did not start:\n' + log)), 120000);
  server.stderr.on('data', (d) => {
    log += d;
    const m = /serving gRPC on port (\d+).*HTTP and the page on port (\d+)/.exec(log);
    if (m) { clearTimeout(timer); resolve({ grpc: m[1], http: m[2] }); }
  });
  server.on('exit', (code) => reject(new Error(`soundsearchd exited ${code}:\n${log}`)));
});
const base = `http://127.0.0.1:${ports.http}`;

let browser;
let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAILED ${name}: ${e.stack || e}`);
  }
}

try {
  for (const s of sounds) {
    execFileSync(cli, ['--server', `127.0.0.1:${ports.grpc}`, 'add', s.path,
      '--labels', s.label, '--tags', s.tag, '--name', s.name]);
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-default-apps', '--no-first-run', '--mute-audio',
      '--autoplay-policy=no-user-gesture-required', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30000);
  await page.goto(base + '/');
  await page.waitForSelector('#spaces input[value="mfcc"]');
  await page.waitForSelector('#label option[value="Tone"]', { state: 'attached' });

  await check('upload a file and see ranked results in two spaces side by side', async () => {
    await page.check('#spaces input[value="mfcc"]');
    await page.setInputFiles('#file', queryFile);
    await page.waitForSelector('.column[data-space="mfcc"] .result');
    const columns = await page.$$eval('.column', (cs) => cs.map((c) => c.dataset.space));
    assert.deepEqual(columns, ['dsp', 'mfcc']);
    const first = await page.$$eval('.column[data-space="dsp"] .result .label', (ls) => ls.map((l) => l.textContent));
    assert.equal(first[0], 'Tone');
    const rows = await page.$$eval('.column[data-space="dsp"] .result', (rs) => rs.length);
    assert.equal(rows, 8);
    await page.screenshot({ path: join(shots, 'upload.png'), fullPage: true });
  });

  await check('a preview plays (positive duration, time advances)', async () => {
    const played = await page.$eval('.column[data-space="dsp"] .result audio', async (audio) => {
      await new Promise((resolve, reject) => {
        if (audio.readyState >= 1) resolve();
        audio.addEventListener('loadedmetadata', resolve, { once: true });
        audio.addEventListener('error', () => reject(new Error('audio error ' + (audio.error && audio.error.code))), { once: true });
      });
      await audio.play();
      await new Promise((resolve) => {
        const tick = () => (audio.currentTime > 0 ? resolve() : setTimeout(tick, 20));
        tick();
      });
      return { duration: audio.duration, time: audio.currentTime };
    });
    assert.ok(played.duration > 1.0 && played.duration < 2.5, `duration ${played.duration}`);
    assert.ok(played.time > 0);
  });

  await check('a random sound of a label shows AP@15 and highlights shared labels', async () => {
    await page.selectOption('#label', 'Noise');
    await page.click('#label-form button');
    await page.waitForSelector('.column[data-space="dsp"] .ap');
    const ap = await page.$eval('.column[data-space="dsp"] .ap', (n) => n.textContent);
    assert.match(ap, /^AP@15 \d\.\d{3}$/);
    const shared = await page.$$eval('.column[data-space="dsp"] .label.shared', (ls) => ls.length);
    assert.ok(shared >= 1);
    await page.screenshot({ path: join(shots, 'label.png'), fullPage: true });
  });

  await check('more like this, from the keyboard', async () => {
    await page.focus('.column[data-space="dsp"] .result .more');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#query-info').textContent.startsWith('More like'));
    await page.waitForSelector('.column[data-space="dsp"] .result');
  });

  await check('a text query', async () => {
    await page.fill('#text', 'hiss');
    await page.press('#text', 'Enter');
    await page.waitForFunction(() => document.querySelector('#query-info').textContent === 'Text: hiss');
    await page.waitForSelector('.column[data-space="dsp"] .result');
    const labels = await page.$$eval('.column[data-space="dsp"] .result', (rs) =>
      rs.slice(0, 4).map((r) => r.querySelector('.label').textContent));
    assert.deepEqual(labels, ['Noise', 'Noise', 'Noise', 'Noise']);
    await page.screenshot({ path: join(shots, 'text.png'), fullPage: true });
  });

  await check('an upload that is not audio gets a message, not a blank result', async () => {
    await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not audio at all'.repeat(50)) });
    await page.waitForSelector('#error:not([hidden])');
    const message = await page.textContent('#error');
    assert.match(message, /^400: /);
  });

  await check('the collection page', async () => {
    execFileSync(cli, ['--server', `127.0.0.1:${ports.grpc}`, 'evaluate']);
    await page.goto(base + '/collection');
    await page.waitForSelector('#sound-count');
    assert.match(await page.textContent('#sound-count'), /^8 sounds/);
    const spaces = await page.$$eval('#spaces-table tr', (rs) => rs.length - 1);
    assert.equal(spaces, 2);
    const summaries = await page.$$eval('.eval-summary', (ps) => ps.map((p) => p.textContent));
    assert.equal(summaries.length, 2);
    assert.match(summaries[0], /^MAP@15 \d\.\d{3} · MAP@150 \d\.\d{3} · MR1 \d/);
    await page.waitForSelector('#jobs h2');
    await page.screenshot({ path: join(shots, 'collection.png'), fullPage: true });
  });
} catch (e) {
  failed++;
  console.log(`FAILED setup: ${e.stack || e}\n${log}`);
} finally {
  if (browser) await browser.close();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(work, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
