"""lngate core: wallets, credentials, the ledger and the payment state machine."""
