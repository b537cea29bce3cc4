"""Field extraction for invoices and receipts: candidates, features, a learned scorer and calibrated confidence."""
