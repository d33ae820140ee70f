-- Payments, after review:
-- - `description`: what was sent to the gateway with the charge, so a charge
--   whose answer was lost is repeated with exactly the same parameters (Stripe
--   refuses an idempotency key reused with others);
-- - `attempt_key`: the caller and Idempotency-Key of the request that made a
--   payment attempt (paying an order again), so a retry of that request
--   finds the attempt instead of making another;
-- - status `duplicate`: a charge that succeeded for an order another payment
--   had already paid; it is recorded (money was taken) and refunded.

ALTER TABLE payments ADD COLUMN description text NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN attempt_key text UNIQUE;
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN (
    'processing', 'requires_action', 'succeeded', 'failed', 'cancelled', 'awaiting_transfer', 'duplicate'));
