// Browser test of the EdgeOCR web page: starts the real `edgeocr serve` on 127.0.0.1 (free port,
// temporary data dir), opens the page in Debian's chromium through playwright-core, uploads a
// rendered receipt, and checks that the text, the boxes and the history entry appear; then opens
// the record again from the history after a reload. Then: Chinese/English (browser language,
// switch, remembered), readable field labels, dates in the browser's locale, history paging, date
// range, delete with confirmation, CSV export (BOM, field columns), and the phone layout (390x844:
// camera button and last result first). Screenshots at 1280x900 and 390x844 are test artefacts.
// The server runs with an API key (auth file): the page's own files are fetched with the key, its
// API calls are not until the user types the key into the page's sign-in form.
//
// node page_test.mjs --edgeocr BIN --render RENDER_BIN --model-dir DIR --artifacts DIR
//                    [--expect Milk,TOTAL,14.50] [--chromium /usr/bin/chromium]
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_START_TIMEOUT_MS = 20_000;
const OCR_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 15_000;
const WHOLE_TEST_TIMEOUT_MS = 240_000;

function parseArgs(argv) {
  const args = { expect: 'Milk,TOTAL,14.50', chromium: '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (argv[i + 1] === undefined) throw new Error(`missing value for ${argv[i]}`);
    args[key] = argv[i + 1];
  }
  for (const required of ['edgeocr', 'render', 'modelDir', 'artifacts']) {
    if (!args[required]) throw new Error(`missing --${required.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`);
  }
  return args;
}

function log(...parts) {
  console.log(`[page_test ${new Date().toISOString().slice(11, 19)}]`, ...parts);
}

// playwright-core from tests/serve/browser/node_modules, installed from the lock file if missing.
function loadPlaywright() {
  const require = createRequire(path.join(HERE, 'package.json'));
  if (!existsSync(path.join(HERE, 'node_modules', 'playwright-core'))) {
    log('installing playwright-core with npm');
    const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund'], {
      cwd: HERE, stdio: 'inherit', timeout: 120_000,
    });
    if (npm.status !== 0) throw new Error('npm install of playwright-core failed (needs the npm registry)');
  }
  return require('playwright-core');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitForReady(base, server, output, headers) {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`edgeocr serve exited (${server.exitCode ?? server.signalCode}) before it was ready:\n${output()}`);
    }
    try {
      const r = await fetch(base + '/readyz', { headers, signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch (_) { /* not listening yet */ }
    await sleep(200);
  }
  throw new Error(`edgeocr serve was not ready within ${SERVER_START_TIMEOUT_MS / 1000} s:\n${output()}`);
}

async function stopServer(server) {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) return;
  server.kill('SIGKILL');
  await Promise.race([exited, sleep(2000)]);
}

// The server process, module-wide so that the watchdog can end it too.
let server = null;

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const expected = args.expect.split(',').map((w) => w.trim()).filter(Boolean);
  const { chromium } = loadPlaywright();
  mkdirSync(args.artifacts, { recursive: true });
  const screenshot = path.join(args.artifacts, 'page.png');
  const work = mkdtempSync(path.join(os.tmpdir(), 'edgeocr-browser-'));
  let browser = null;
  let serverOutput = '';
  try {
    // The receipt, rendered with the Noto CJK font by the project's test renderer.
    const receipt = path.join(work, 'receipt.png');
    const render = spawnSync(args.render, [receipt], { encoding: 'utf8', timeout: 30_000 });
    if (render.status !== 0) throw new Error(`render_receipt failed: ${render.stderr || render.error}`);
    log('rendered receipt:', JSON.stringify(render.stdout.trim()));

    // Auth on: one API key, stored in the auth file as its SHA-256.
    const apiKey = randomBytes(18).toString('hex');
    const authFile = path.join(work, 'auth.json');
    writeFileSync(authFile, JSON.stringify({
      api_keys: [{ name: 'browser-test', sha256: createHash('sha256').update(apiKey).digest('hex') }],
    }));
    const bearer = { Authorization: 'Bearer ' + apiKey };

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = spawn(args.edgeocr, ['serve', '--host', '127.0.0.1', '--port', String(port),
      '--data-dir', path.join(work, 'data'), '--model-path', args.modelDir, '--threads', '2', '--auth-file', authFile],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk) => { serverOutput = (serverOutput + chunk).slice(-8000); };
    server.stdout.on('data', keep);
    server.stderr.on('data', keep);
    await waitForReady(base, server, () => serverOutput, bearer);
    log('server ready on', base);

    browser = await chromium.launch({
      executablePath: args.chromium, headless: true, timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    // The server's 401 asks for HTTP Basic; a real browser then shows its own sign-in prompt. Wrong
    // Basic credentials stand for the user dismissing it, so the 401 reaches the page's key form.
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 }, locale: 'en-US',
      httpCredentials: { username: 'nobody', password: 'wrong' },
    });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push('console: ' + m.text()); });

    // The page and its files load with the key (as after a browser's Basic sign-in); the page's
    // own API calls carry no key until it is typed into the sign-in form.
    await page.route((url) => url.pathname === '/' || url.pathname.startsWith('/static/'),
      (route) => route.continue({ headers: { ...route.request().headers(), ...bearer } }));
    await page.goto(base + '/', { waitUntil: 'load' });
    await page.waitForSelector('#drop-zone');
    await page.waitForSelector('#auth-form:not([hidden])');
    await page.waitForFunction(() => document.getElementById('error').textContent.includes('401'));
    // The 401 of the first history request is logged by the browser; it is expected.
    const i401 = pageErrors.findIndex((e) => e.includes('status of 401'));
    if (i401 >= 0) pageErrors.splice(i401, 1);
    await page.fill('#api-key', apiKey);
    await page.click('#auth-form button[type=submit]');
    await page.waitForFunction(() => /No records yet/.test(document.getElementById('history-status').textContent));
    if (!(await page.locator('#auth-form').isHidden()) || !(await page.locator('#error').isHidden())) {
      throw new Error('the sign-in form or the 401 error is still shown after entering the API key');
    }
    log('signed in with the API key');

    // Upload through the file picker, as a user would.
    const ocrResponse = page.waitForResponse((r) => r.url().endsWith('/v1/ocr') && r.request().method() === 'POST',
      { timeout: OCR_TIMEOUT_MS });
    await page.setInputFiles('#file-input', receipt);
    const response = await ocrResponse;
    const result = await response.json();
    if (response.status() !== 200) throw new Error(`POST /v1/ocr answered ${response.status()}: ${JSON.stringify(result)}`);
    log('OCR text:', JSON.stringify(result.text));

    await page.waitForFunction((words) => {
      const text = document.getElementById('text-out').textContent;
      return words.every((w) => text.includes(w));
    }, expected, { timeout: OCR_TIMEOUT_MS }).catch(async () => {
      throw new Error(`page text lacks one of ${JSON.stringify(expected)}: ` +
        JSON.stringify(await page.textContent('#text-out')));
    });
    await page.waitForFunction(() => document.querySelectorAll('#overlay polygon').length > 0);
    const boxes = await page.locator('#overlay polygon').count();
    if (boxes !== (result.lines || []).length) throw new Error(`${boxes} boxes drawn for ${result.lines.length} lines`);
    // The overlay must sit on the displayed image (same size, same place).
    const [img, svg] = await Promise.all([page.locator('#preview').boundingBox(), page.locator('#overlay').boundingBox()]);
    if (!img || !svg || img.width < 50 || Math.abs(img.width - svg.width) > 1 || Math.abs(img.height - svg.height) > 1 ||
        Math.abs(img.x - svg.x) > 1 || Math.abs(img.y - svg.y) > 1) {
      throw new Error(`overlay ${JSON.stringify(svg)} does not cover the image ${JSON.stringify(img)}`);
    }
    log(`text shown, ${boxes} boxes drawn`);

    // The history lists the new record.
    if (!result.record_id) throw new Error('the OCR result has no record_id (archive off?)');
    await page.waitForSelector(`#history button[data-id="${result.record_id}"]`);
    log('history shows record', result.record_id);

    // Lines view: one row per line with a confidence badge.
    await page.click('#tab-lines');
    const rows = await page.locator('#lines-body .conf').count();
    if (rows !== result.lines.length) throw new Error(`${rows} confidence cells for ${result.lines.length} lines`);
    await page.click('#tab-text');

    // Reload, open the record from the history: JSON, image and boxes come back from the archive.
    await page.reload({ waitUntil: 'load' });
    await page.click(`#history button[data-id="${result.record_id}"]`);
    await page.waitForFunction((words) => words.every((w) => document.getElementById('text-out').textContent.includes(w)), expected);
    await page.waitForFunction(() => {
      const img = document.getElementById('preview');
      return img.complete && img.naturalWidth > 0 && document.querySelectorAll('#overlay polygon').length > 0;
    });
    // Search that matches nothing empties the list.
    await page.fill('#history-q', 'zzzz-no-such-text');
    await page.press('#history-q', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#history button').length === 0 &&
      /No records match/.test(document.getElementById('history-status').textContent));
    await page.fill('#history-q', expected[0]);
    await page.press('#history-q', 'Enter');
    await page.waitForSelector(`#history button[data-id="${result.record_id}"]`);
    log('record reopened from history; search works');

    // The heading names the record by its time and first line, not its id.
    const heading = await page.textContent('#record-meta');
    if (heading.includes(result.record_id) || !heading.includes(result.text.split('\n')[0].trim())) {
      throw new Error(`record heading ${JSON.stringify(heading)} should show the time and first line, not the id`);
    }
    // Dates in the browser's locale (en-US: "Nov 29, 2026, 9:41 AM"), not ISO.
    const when = await page.textContent(`#history button[data-id="${result.record_id}"] .when`);
    if (!/^[A-Z][a-z]{2} \d{1,2}, \d{4}/.test(when)) throw new Error(`en-US history date looks wrong: ${JSON.stringify(when)}`);
    log('heading and en-US date:', JSON.stringify(heading), JSON.stringify(when));

    await page.screenshot({ path: screenshot, fullPage: true });
    log('screenshot:', screenshot);

    // Receipt extraction: the page shows the fields, or the server's error message (501 while the
    // build has no extractor) — never nothing.
    await page.check('#schema-receipt');
    const extractResponse = page.waitForResponse((r) => r.url().endsWith('/v1/ocr'), { timeout: OCR_TIMEOUT_MS });
    await page.setInputFiles('#file-input', receipt);
    const extract = await extractResponse;
    const extractBody = await extract.json();
    if (extract.status() === 200) {
      if (!extractBody.fields) throw new Error('schema=receipt answered 200 without fields');
      await page.waitForSelector('#fields-out dl.fields dt');
      const shown = await page.locator('#fields-out dl.fields dt').count();
      log(`receipt fields shown: ${shown} (${Object.keys(extractBody.fields).join(', ')})`);
    } else {
      const message = extractBody.error && extractBody.error.message;
      if (!message) throw new Error(`schema=receipt answered ${extract.status()} without the error envelope`);
      await page.waitForFunction((m) => {
        const box = document.getElementById('error');
        return !box.hidden && box.textContent.includes(m);
      }, message);
      // It stays up while the history refreshes (the history has its own status line).
      await page.fill('#history-q', '');
      await page.press('#history-q', 'Enter');
      await page.waitForSelector(`#history button[data-id="${result.record_id}"]`);
      await sleep(500);
      if (await page.locator('#error').isHidden()) throw new Error('the extraction error vanished on a history refresh');
      log(`receipt extraction answered ${extract.status()}; the page shows: ${message}`);
      // The browser logs every failed fetch; that one is expected.
      const i = pageErrors.findIndex((e) => e.includes(`status of ${extract.status()}`));
      if (i >= 0) pageErrors.splice(i, 1);
    }
    if (extract.status() === 200) {
      // Readable labels, not raw keys such as payment_method.
      const labels = await page.locator('#fields-out dl.fields dt').allTextContents();
      if (labels.some((l) => l.includes('_')) || (extractBody.fields.total !== undefined && !labels.includes('Total'))) {
        throw new Error(`field labels are not readable: ${JSON.stringify(labels)}`);
      }
      log('field labels:', labels.join(', '));
      // Receipt items as a table of rows, with readable column names.
      const items = (extractBody.extraction && extractBody.extraction.items) || [];
      if (items.length) {
        const head = await page.locator('#fields-out table.items th').allTextContents();
        const rows = await page.locator('#fields-out table.items tbody tr').count();
        if (head.join('|') !== 'Name|Quantity|Unit price|Amount' || rows !== items.length) {
          throw new Error(`items table: columns ${JSON.stringify(head)}, ${rows} rows for ${items.length} items`);
        }
        const firstAmount = await page.locator('#fields-out table.items tbody tr').first().locator('td').last().textContent();
        if (items[0].amount === 4.5 && firstAmount !== '4.50') throw new Error(`item amount shown as ${JSON.stringify(firstAmount)}, printed 4.50`);
        log(`items table: ${rows} rows`);
      }
    }
    const extractShot = path.join(args.artifacts, 'page-receipt.png');
    await page.screenshot({ path: extractShot, fullPage: true });
    log('screenshot:', extractShot);

    await historyChecks({ args, base, bearer, work, page });
    // The record with receipt fields, to check their Chinese labels (when the build extracts them).
    const fieldsRecord = extract.status() === 200 && extractBody.fields.total !== undefined ? extractBody.record_id : null;
    await languageAndPhoneChecks({ args, base, bearer, browser, fieldsRecord });

    if (pageErrors.length) throw new Error('errors in the page:\n' + pageErrors.join('\n'));
    log('PASS');
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server);
    rmSync(work, { recursive: true, force: true });
  }
}

// Paging, date range, delete with confirmation and CSV export of the history (desktop, en-US).
async function historyChecks({ args, base, bearer, work, page }) {
  // 11 more records (short single lines), through the API: 13 in all, two pages of 10.
  for (let i = 1; i <= 11; i++) {
    const file = path.join(work, `note${i}.png`);
    const r = spawnSync(args.render, [file, `Note ${i}`], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`render_receipt failed: ${r.stderr}`);
    const res = await fetch(base + '/v1/ocr', {
      method: 'POST', headers: { ...bearer, 'Content-Type': 'image/png' }, body: readFileSync(file),
    });
    if (res.status !== 200) throw new Error(`seeding record ${i}: ${res.status} ${await res.text()}`);
  }
  const total = (await (await fetch(base + '/v1/records?limit=1', { headers: bearer })).json()).total;
  await page.fill('#history-q', '');
  await page.press('#history-q', 'Enter');
  await page.waitForFunction((n) => document.getElementById('history-status').textContent === `1–10 of ${n} records`, total);
  if (await page.locator('#history button.open').count() !== 10) throw new Error('first history page is not 10 records');
  await page.click('#page-next');
  await page.waitForFunction((n) => document.getElementById('history-status').textContent === `11–${n} of ${n} records`, total);
  if (!(await page.locator('#page-next').isDisabled()) || await page.locator('#page-prev').isDisabled()) {
    throw new Error('pager buttons wrong on the last page');
  }
  await page.click('#page-prev');
  await page.waitForFunction(() => /^1–10 of/.test(document.getElementById('history-status').textContent));
  log(`history paging: ${total} records over two pages`);

  // Date range: from tomorrow matches nothing, from today matches everything.
  const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  await page.fill('#history-from', day(1));
  await page.dispatchEvent('#history-from', 'change');
  await page.waitForFunction(() => document.getElementById('history-status').textContent === 'No records match the filter.');
  await page.fill('#history-from', day(-1));
  await page.fill('#history-to', day(1));
  await page.dispatchEvent('#history-to', 'change');
  await page.waitForFunction((n) => document.getElementById('history-status').textContent === `1–10 of ${n} records`, total);
  log('date range filters the history');

  // CSV export of the current filter: BOM, field columns, one row per record.
  await page.fill('#history-q', 'Note');
  await page.press('#history-q', 'Enter');
  await page.waitForFunction(() => /^1–10 of 11 records$/.test(document.getElementById('history-status').textContent));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const csv = readFileSync(await download.path());
  if (csv[0] !== 0xEF || csv[1] !== 0xBB || csv[2] !== 0xBF) throw new Error('CSV has no UTF-8 byte-order mark');
  const rows = csv.toString('utf8').slice(1).trim().split('\r\n');
  if (!rows[0].startsWith('id,created_at,image_sha256,text') || rows.length !== 12) {
    throw new Error(`CSV of the filter should have a header and 11 rows, got ${rows.length}: ${rows[0]}`);
  }
  log('CSV export:', download.suggestedFilename(), rows.length - 1, 'rows');

  // Delete with confirmation: dismissing keeps the record, accepting removes it.
  await page.fill('#history-q', '');
  await page.fill('#history-from', '');
  await page.fill('#history-to', '');
  await page.press('#history-q', 'Enter');
  await page.waitForFunction((n) => document.getElementById('history-status').textContent === `1–10 of ${n} records`, total);
  const victimId = await page.getAttribute('#history button.delete', 'data-delete-id');  // the newest
  const victim = `#history button[data-delete-id="${victimId}"]`;
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await page.click(victim);
  await sleep(500);
  if (!asked.includes('Delete this record?')) throw new Error(`no confirmation before deleting: ${JSON.stringify(asked)}`);
  if ((await fetch(`${base}/v1/records/${victimId}`, { headers: bearer })).status !== 200) throw new Error('dismissed delete removed the record');
  page.once('dialog', (d) => d.accept());
  await page.click(victim);
  await page.waitForSelector(victim, { state: 'detached' });
  if ((await fetch(`${base}/v1/records/${victimId}`, { headers: bearer })).status !== 404) throw new Error('accepted delete kept the record');
  await page.waitForFunction((n) => document.getElementById('history-status').textContent === `1–10 of ${n - 1} records`, total);
  log('delete asks first, then removes the record');
}

// Chinese by browser language, switch to English (remembered), zh-CN dates; the phone layout.
async function languageAndPhoneChecks({ args, base, bearer, browser, fieldsRecord }) {
  const shots = [['zh', { width: 1280, height: 900 }, 'page-zh-1280.png'], ['phone', { width: 390, height: 844 }, 'page-phone-390.png']];
  for (const [name, viewport, shot] of shots) {
    const context = await browser.newContext({
      viewport, locale: 'zh-CN', isMobile: name === 'phone', hasTouch: name === 'phone', extraHTTPHeaders: bearer,
    });
    // The page's own calls carry the key too: put it where the sign-in form stores it.
    await context.addInitScript((key) => sessionStorage.setItem('edgeocr.apiKey', key), bearer.Authorization.slice(7));
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await page.goto(base + '/', { waitUntil: 'load' });
    await page.waitForFunction(() => /共 \d+ 条/.test(document.getElementById('history-status').textContent));
    const title = await page.textContent('#history-title');
    if (title !== '历史记录' || await page.getAttribute('html', 'lang') !== 'zh-CN') {
      throw new Error(`a zh-CN browser should get the Chinese page, got ${JSON.stringify(title)}`);
    }
    const when = await page.locator('#history .when').first().textContent();
    if (!/\d{4}年\d{1,2}月\d{1,2}日/.test(when)) throw new Error(`zh-CN date looks wrong: ${JSON.stringify(when)}`);
    // Open the newest record: it is "the last result".
    await page.locator('#history button.open').first().click();
    await page.waitForFunction(() => !document.getElementById('result').hidden && document.getElementById('text-out').textContent.length > 0);
    const fieldLabels = () => page.locator('#fields-out dl.fields dt').allTextContents();
    if (name === 'zh' && fieldsRecord) {
      // The receipt's fields under Chinese labels: no raw keys, no English left.
      await page.fill('#history-q', 'Milk');
      await page.press('#history-q', 'Enter');
      await page.click(`#history button[data-id="${fieldsRecord}"]`);
      await page.waitForFunction(() => /合计/.test(document.getElementById('fields-out').textContent));
      const labels = await fieldLabels();
      const columns = await page.locator('#fields-out table.items th').allTextContents();
      if (!labels.includes('合计') || labels.some((l) => /[A-Za-z_]/.test(l)) || columns.some((c) => /[A-Za-z_]/.test(c))) {
        throw new Error(`zh field labels are not all Chinese: ${JSON.stringify(labels)}, items ${JSON.stringify(columns)}`);
      }
      log('zh field labels:', labels.join('、'));
    }
    if (name === 'zh') {
      await page.screenshot({ path: path.join(args.artifacts, shot), fullPage: true });
      await page.selectOption('#lang', 'en');
      await page.waitForFunction(() => document.getElementById('history-title').textContent === 'History');
      if (fieldsRecord) {  // the record on screen follows the switch
        const labels = await fieldLabels();
        if (!labels.includes('Total') || labels.includes('合计')) throw new Error(`labels after switching to English: ${JSON.stringify(labels)}`);
      }
      await page.reload({ waitUntil: 'load' });
      await page.waitForFunction(() => /of \d+ records/.test(document.getElementById('history-status').textContent));
      if (await page.textContent('#history-title') !== 'History') throw new Error('the chosen language was not remembered');
      log('Chinese by browser language; English chosen and remembered; zh-CN date', JSON.stringify(when));
    } else {
      await page.evaluate(() => window.scrollTo(0, 0));
      const [camera, resultPanel, upload] = await Promise.all(
        ['#quick-camera', '.result-panel', '.upload-panel'].map((s) => page.locator(s).boundingBox()));
      if (!camera || !resultPanel || !upload || camera.y + camera.height > viewport.height ||
          !(camera.y < resultPanel.y && resultPanel.y < upload.y) || resultPanel.y > viewport.height / 2) {
        throw new Error(`phone layout: camera ${JSON.stringify(camera)}, result ${JSON.stringify(resultPanel)}, upload ${JSON.stringify(upload)}`);
      }
      const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      if (!fits) throw new Error('the page scrolls sideways at 390 px');
      await page.screenshot({ path: path.join(args.artifacts, shot), fullPage: false });
      log(`phone: camera button at y=${Math.round(camera.y)}, result at y=${Math.round(resultPanel.y)}, upload at y=${Math.round(upload.y)}`);
    }
    await context.close();
  }
}

const watchdog = setTimeout(() => {
  console.error(`[page_test] FAIL: the whole test took longer than ${WHOLE_TEST_TIMEOUT_MS / 1000} s`);
  if (server && server.exitCode === null) server.kill('SIGKILL');
  process.exit(1);
}, WHOLE_TEST_TIMEOUT_MS);
watchdog.unref();

main().then(() => process.exit(0), (e) => {
  console.error('[page_test] FAIL:', e && e.stack || e);
  process.exit(1);
});
