"""The nightly batch as four small steps: intake (list, hash, sniff the inbox), ingest (store each file
in its savepoint), decide (which lines, grouped by export item, decided by the law), report (stream the
batch's decisions into the sinks). batch.py runs them in one ledger transaction."""
