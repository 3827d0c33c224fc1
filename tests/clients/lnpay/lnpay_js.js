// Drives npm `lnpay-js` 0.1.2 (a browser script), unchanged: dist/lnpay.js runs in a context
// whose `window` is the global with Node's fetch, and LNPay.endpointUrl is repointed.
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const env = process.env;
const sandbox = { fetch: globalThis.fetch.bind(globalThis), console };
sandbox.window = sandbox;
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(
  path.join(path.dirname(require.resolve('lnpay-js/package.json')), 'dist', 'lnpay.js'), 'utf8'),
  sandbox);
const { LNPay, LNPayWallet, LNPayLnTx, processGetRequest, processPostRequest } = sandbox;

// The SDK reports through callbacks and only logs failures; time out instead of hanging.
function call(fn, ...args) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no callback')), 15000);
    fn(...args, (result) => { clearTimeout(timer); resolve(result); });
  });
}

(async () => {
  LNPay.Initialize(env.PAYER_PAK);
  LNPay.endpointUrl = env.LNGATE_URL + '/v1/';
  const payer = new LNPayWallet(env.PAYER_WAKA);
  const payerRead = new LNPayWallet(env.PAYER_WAKR);
  const payee = new LNPayWallet(env.PAYEE_WAKI);  // same account: pairs with the same pak_
  const seen = {};
  seen.balance = await call(payerRead.getInfo.bind(payerRead));
  seen.invoice = await call(payee.createInvoice.bind(payee), { num_satoshis: 40, memo: 'lnpay-js' });
  seen.withdraw = await call(payer.payInvoice.bind(payer),
                             { payment_request: seen.invoice.payment_request });
  seen.paid_invoice = await call((cb) => new LNPayLnTx(seen.invoice.id).getInfo(cb));
  seen.keysend = await call(processPostRequest, 'wallet/' + env.PAYER_WAKA + '/keysend',
                            { dest_pubkey: env.KEYSEND_PUBKEY, num_satoshis: 3 });
  seen.transfer = await call(payer.internalTransfer.bind(payer),
                             { dest_wallet_id: env.PAYEE_WAL, num_satoshis: 5, memo: 'js' });
  seen.all = await call(payerRead.getTransactions.bind(payerRead), {});
  seen.page2 = await call(processGetRequest,
                          'wallet/' + env.PAYER_WAKR + '/transactions?per-page=2&page=2');
  seen.lntx = await call((cb) => new LNPayLnTx(seen.withdraw.lnTx.id).getInfo(cb));
  seen.lnurl = await call(payer.getLnurl.bind(payer), { num_satoshis: 2 });
  seen.error = await call(payer.payInvoice.bind(payer),
                          { payment_request: seen.invoice.payment_request });
  seen.after = await call(payerRead.getInfo.bind(payerRead));
  console.log(JSON.stringify(seen));
})().catch((err) => { console.error(err.stack || err); process.exit(1); });
