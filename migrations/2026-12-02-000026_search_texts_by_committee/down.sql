DROP TRIGGER opinion_search_text_corrected ON opinions;
CREATE TRIGGER opinion_search_text_corrected AFTER UPDATE OF title, content ON opinions
    FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.content IS DISTINCT FROM NEW.content)
    EXECUTE FUNCTION opinion_search_text_kept();
CREATE OR REPLACE FUNCTION opinion_search_text_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO opinion_search_texts (opinion_id, title, content)
    VALUES (NEW.id, NEW.title, NEW.content)
    ON CONFLICT (opinion_id) DO UPDATE SET title = EXCLUDED.title, content = EXCLUDED.content;
    RETURN NULL;
END
$$;
DROP INDEX opinion_search_texts_trgm_idx;
ALTER TABLE opinion_search_texts DROP COLUMN committee_id;
CREATE INDEX opinion_search_texts_trgm_idx ON opinion_search_texts
    USING gin (title gin_trgm_ops, content gin_trgm_ops);
-- btree_gin stays: another database object may use it.
