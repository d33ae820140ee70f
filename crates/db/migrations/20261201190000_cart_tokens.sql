-- A guest's cart is found by its token when the guest signs in (to merge it
-- into the account's cart).
CREATE INDEX carts_guest_token_idx ON carts (token_hash) WHERE user_id IS NULL;
