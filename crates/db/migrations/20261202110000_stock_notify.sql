-- Instances keep the stock product pages show in memory and drop a
-- variant's the moment it changes: at commit, PostgreSQL tells every
-- listening instance which variant moved (channel comptoir_stock, payload
-- the variant id), or '*' when a location's settings change what every
-- variant shows. Notifications are sent only by committed transactions, and
-- identical ones within a transaction are folded into one.

CREATE FUNCTION notify_stock_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'stock_levels' THEN
        PERFORM pg_notify('comptoir_stock', COALESCE(NEW.variant_id, OLD.variant_id)::text);
    ELSE
        PERFORM pg_notify('comptoir_stock', '*');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER stock_levels_changed
    AFTER INSERT OR DELETE ON stock_levels
    FOR EACH ROW EXECUTE FUNCTION notify_stock_change();

CREATE TRIGGER stock_levels_moved
    AFTER UPDATE OF on_hand, reserved ON stock_levels
    FOR EACH ROW
    WHEN (OLD.on_hand IS DISTINCT FROM NEW.on_hand OR OLD.reserved IS DISTINCT FROM NEW.reserved)
    EXECUTE FUNCTION notify_stock_change();

CREATE TRIGGER stores_changed
    AFTER INSERT OR UPDATE OR DELETE ON stores
    FOR EACH STATEMENT EXECUTE FUNCTION notify_stock_change();
