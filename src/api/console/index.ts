import { readFileSync } from 'node:fs';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { providerIds } from '../../domain/providers';
import type { AppEnv } from '../deps';
import { operatorsOnly } from '../routes/ops';
import { transactionStates, transactionTypes } from '../schemas/ops';

/** Read once at start: the console's script and style never change while the switch runs. */
const asset = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');
const script = asset('./console.js');
const style = asset('./console.css');

const options = (label: string, values: readonly string[]) =>
  [`<option value="">${label}</option>`, ...values.map((value) => `<option>${value}</option>`)].join('');

// Only constants go into the page; everything from the copy is put in by console.js as text, never as HTML.
const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Voucher switch · operations</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/console.css">
<script type="module" src="/console/console.js"></script>
</head>
<body>
<header><h1>Voucher switch · operations</h1><span class="note">times in UTC · amounts in currency units</span></header>
<main>
<section class="panel" aria-labelledby="backlog-title">
<h2 id="backlog-title">SAF backlog</h2>
<div id="backlog"></div>
</section>
<section class="panel" aria-labelledby="list-title">
<h2 id="list-title">Transactions</h2>
<form id="search" role="search">
<input name="reference" type="search" aria-label="Reference" placeholder="Message id, transaction identifier, reference or voucher code">
<select name="type" aria-label="Type">${options('Any type', transactionTypes)}</select>
<select name="state" aria-label="State">${options('Any state', transactionStates)}</select>
<select name="provider" aria-label="Provider">${options('Any provider', providerIds)}</select>
<button type="submit">Search</button>
</form>
<p id="status" role="status"></p>
<table id="transactions">
<thead><tr><th>Received</th><th>Type</th><th>Message id</th><th>Channel</th><th>Provider</th><th>State</th><th class="number">Amount</th><th class="number">HTTP</th><th class="number">Answered in</th></tr></thead>
<tbody></tbody>
</table>
<button id="more" type="button" hidden>More</button>
</section>
<section id="detail" class="panel" hidden></section>
<section class="panel" aria-labelledby="approvals-title">
<h2 id="approvals-title">Awaiting approval</h2>
<p class="note">An action that moves money, asked by one back-office operator, runs once a second approves it.</p>
<p id="approvals-status" role="status"></p>
<div id="approvals"></div>
</section>
<section class="panel" aria-labelledby="settlement-title">
<h2 id="settlement-title">Settlement</h2>
<form id="settlement">
<input name="day" type="date" aria-label="Business day" required>
<button type="submit">Show</button>
<button id="produce" type="button">Produce report</button>
</form>
<p id="settlement-status" role="status"></p>
<div id="report"></div>
<h3>Stored reports</h3>
<div id="reports"></div>
</section>
<section class="panel" aria-labelledby="reconciliation-title">
<h2 id="reconciliation-title">Reconciliation</h2>
<form id="reconcile">
<select name="provider" aria-label="Provider" required>${options('Provider', providerIds)}</select>
<input name="day" type="date" aria-label="Business day of the file" required>
<input name="file" type="file" accept=".csv,text/csv" aria-label="Provider file" required>
<button type="submit">Reconcile</button>
</form>
<p id="reconciliation-status" role="status"></p>
<div id="reconciliation"></div>
<h3>Reconciliations</h3>
<div id="reconciliations"></div>
</section>
</main>
</body>
</html>`;

const headers = {
  // Nothing but the switch's own files and its /ops API: no inline script, no other origin.
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * The operator console at `/console`: a read-only page over the /ops API. It sits behind the same
 * operator Basic auth as /ops, so the browser asks once and sends the credentials to both; they
 * never pass through the page's script, its URLs or its storage.
 */
export function registerConsoleRoutes(app: OpenAPIHono<AppEnv>) {
  app.use('/console/*', operatorsOnly); // matches /console itself too
  app.get('/console', (c) => c.html(page, 200, headers));
  app.get('/console/console.js', (c) =>
    c.body(script, 200, { ...headers, 'Content-Type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/console/console.css', (c) => c.body(style, 200, { ...headers, 'Content-Type': 'text/css; charset=utf-8' }));
}
