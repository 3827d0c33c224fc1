// Drives npm `lnpay` 1.1.4, unchanged, against lngate: only its axios baseURL is repointed.
// Input: env (see tests/test_lnpay_clients.py). Output: one JSON line of what the client saw.
const LNPay = require('lnpay').default;

const env = process.env;
function client(secretKey, walletAccessKey) {
  const c = LNPay({ secretKey, walletAccessKey });
  c.api.defaults.baseURL = env.LNGATE_URL + '/v1';
  return c;
}

(async () => {
  const payer = client(env.PAYER_SAK, env.PAYER_WAKA);
  const payerById = client(env.PAYER_SAK, env.PAYER_WAL);  // sak_ + wal_ id in the path
  const payee = client(env.PAYEE_SAK, env.PAYEE_WAKI);
  const seen = {};
  seen.balance = await payerById.getBalance();
  seen.invoice = await payee.generateInvoice({ num_satoshis: 40, memo: 'npm lnpay', expiry: 600,
                                               passThru: { orderId: 'n-1' } });
  seen.withdraw = await payer.payInvoice({ payment_request: seen.invoice.payment_request,
                                           passThru: { app: 'npm' } });
  seen.paid_invoice = await payee.getInvoice({ id: seen.invoice.id });
  seen.keysend = await payer.keysend({ dest_pubkey: env.KEYSEND_PUBKEY, num_satoshis: 3,
                                       custom_records: { 696969: 'npm keysend' } });
  seen.transfer = await payer.transfer({ dest_wallet_id: env.PAYEE_WAL, num_satoshis: 5,
                                         memo: 'npm transfer' });
  seen.page2 = await payer.getTransactions({ 'per-page': 2, page: 2 });
  seen.all = await payer.getTransactions();
  seen.lntx = await payer.getInvoice({ id: seen.withdraw.lnTx.id });
  seen.after = await payer.getBalance();
  try {
    await payer.payInvoice({ payment_request: seen.invoice.payment_request });
  } catch (err) {
    seen.error = err.message;  // the client surfaces err.response.data.message
  }
  console.log(JSON.stringify(seen));
})().catch((err) => { console.error(err.stack || err); process.exit(1); });
