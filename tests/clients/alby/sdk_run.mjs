// Drives @getalby/sdk's Wallet API client, unchanged, against a running lngate.
// Env: LNGATE_URL, PAYER_TOKEN, PAYEE_TOKEN (all scopes), READONLY_TOKEN (balance:read only),
// UNKNOWN_PUBKEY. Asserts as it goes; prints one JSON summary line for the pytest side.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Client } from "@getalby/sdk/oauth";

const base_url = process.env.LNGATE_URL;
const payer = new Client(process.env.PAYER_TOKEN, { base_url });
const payee = new Client(process.env.PAYEE_TOKEN, { base_url });
const readonly = new Client(process.env.READONLY_TOKEN, { base_url });
const summary = {};

const sha256 = (hex) => createHash("sha256").update(Buffer.from(hex, "hex")).digest("hex");
async function refused(promise) {
  try {
    await promise;
  } catch (e) {
    return { status: e.status, message: e.message, body: e.error };
  }
  throw new Error("expected an AlbyResponseError");
}

// balance
const start = await payer.accountBalance({});
assert.equal(start.currency, "BTC");
assert.equal(start.unit, "sat");
summary.start_balance = start.balance;

// create an invoice in one wallet, pay it from the other
const invoice = await payee.createInvoice({ amount: 100, description: "sdk invoice" });
assert.match(invoice.payment_request, /^lnbcrt1u/);
const paid = await payer.sendPayment({ invoice: invoice.payment_request });
assert.equal(paid.payment_hash, invoice.payment_hash);
assert.equal(sha256(paid.payment_preimage), invoice.payment_hash);
summary.paid = { amount: paid.amount, fee: paid.fee };

const fetched = await payee.getInvoice(invoice.payment_hash);
assert.equal(fetched.settled, true);
assert.equal(fetched.preimage, paid.payment_preimage);
assert.equal(fetched.type, "incoming");

const decoded = await payer.decodeInvoice(invoice.payment_request);
assert.equal(decoded.amount, 100);
assert.equal(decoded.payment_hash, invoice.payment_hash);
assert.equal(decoded.description, "sdk invoice");

// keysend and multi keysend to simulated nodes (one destination unknown)
const nodes = (await (await fetch(`${base_url}/sim/v1/nodes`)).json()).nodes.map((n) => n.pubkey);
const ks = await payer.keysend({
  destination: nodes[0], amount: 10, memo: "sdk keysend", customRecords: { 696969: "x" },
});
assert.equal(ks.amount, 10);
assert.deepEqual(ks.custom_records, { 696969: "x" });
assert.equal(sha256(ks.payment_preimage), ks.payment_hash);

const multi = await payer.keysend([
  { destination: nodes[0], amount: 1, customRecords: { 696969: "a" } },
  { destination: process.env.UNKNOWN_PUBKEY, amount: 2, customRecords: { 696969: "b" } },
  { destination: nodes[1], amount: 3 },
]);
summary.multi = multi.keysends.map((k) => (k.error ? `error ${k.error.code}` : k.keysend.amount));
assert.equal(multi.keysends[1].keysend.destination, process.env.UNKNOWN_PUBKEY);
assert.deepEqual(multi.keysends[1].keysend.custom_records, { 696969: "b" });

const allFailed = await refused(payer.keysend([
  { destination: process.env.UNKNOWN_PUBKEY, amount: 1 },
]));
assert.equal(allFailed.status, 500);

// value4value: keysend to the other wallet through the gateway's node, and a boostagram
const v4v = await payee.accountValue4Value({});
await payer.keysend({
  destination: v4v.keysend_pubkey, amount: 21,
  customRecords: { [v4v.keysend_custom_key]: v4v.keysend_custom_value },
});
await payer.sendBoostagram({
  recipient: { address: v4v.keysend_pubkey, customKey: v4v.keysend_custom_key,
               customValue: v4v.keysend_custom_value },
  amount: 5,
  boostagram: { app_name: "lngate-test", action: "boost", value_msat_total: 5000, message: "hi" },
});

// a few more invoices for the paging checks
for (const amount of [1, 2, 3]) {
  const inv = await payee.createInvoice({ amount, description: `page ${amount}` });
  await payer.sendPayment({ invoice: inv.payment_request });
}

const incoming = await payee.incomingInvoices({});
summary.incoming = incoming.map((i) => i.amount);
const page1 = await payee.incomingInvoices({ page: 1, items: 2 });
const page2 = await payee.incomingInvoices({ page: 2, items: 2 });
assert.deepEqual([...page1, ...page2].map((i) => i.identifier),
                 incoming.slice(0, 4).map((i) => i.identifier));
const since = await payee.incomingInvoices({ q: { since: incoming[2].identifier } });
assert.deepEqual(since.map((i) => i.identifier), incoming.slice(0, 2).map((i) => i.identifier));
const before = await payee.incomingInvoices({ q: { before: incoming[2].identifier }, items: 1 });
assert.deepEqual(before.map((i) => i.identifier), [incoming[3].identifier]);
const boost = incoming.find((i) => i.boostagram);
assert.equal(boost.boostagram.message, "hi");
summary.boostagram = boost.boostagram.app_name;

const outgoing = await payer.outgoingInvoices({ page: 1, items: 50 });
summary.outgoing = outgoing.length;
assert.ok(outgoing.every((i) => i.type === "outgoing"));
summary.all_payee = (await payee.invoices({})).length;

// account
const me = await payee.accountInformation({});
assert.equal(me.keysend_custom_value, v4v.keysend_custom_value);
const accountSummary = await payee.accountSummary({});
summary.payee_summary = accountSummary;
summary.end_balance = (await payer.accountBalance({})).balance;
summary.payee_balance = (await payee.accountBalance({})).balance;

// errors arrive as AlbyResponseError with the JSON body
const bad = await refused(payer.sendPayment({ invoice: "lnbcrt1garbage" }));
summary.bad_invoice = [bad.status, bad.body.code, bad.body.message];
const scoped = await refused(readonly.createInvoice({ amount: 1 }));
summary.scope_error = [scoped.status, scoped.body.error];
assert.equal((await readonly.accountBalance({})).balance, summary.end_balance);
const unknown = await refused(payee.getInvoice("00".repeat(32)));
summary.unknown_invoice = [unknown.status, unknown.body.code];

console.log(JSON.stringify(summary));
