-- A search's texts carry their opinion's committee, and the trigram index leads with it
-- (btree_gin), so a township's staff find their committee's matches in the index itself.
-- A search walks its scope's newest opinions first and reads the index only beyond a window
-- of them (`opinions::model::beyond_window`): a word held by old opinions only, such as one
-- of a past year's campaign, had the walk read the town's whole history (3.5 s a page, under
-- load) when the index held its few thousand matches in the town.
CREATE EXTENSION IF NOT EXISTS btree_gin;

ALTER TABLE opinion_search_texts ADD COLUMN committee_id uuid;
UPDATE opinion_search_texts t SET committee_id = o.committee_id
  FROM opinions o WHERE o.id = t.opinion_id;
ALTER TABLE opinion_search_texts ALTER COLUMN committee_id SET NOT NULL;

-- The same name: an index over the committee and both texts serves a search with or without
-- a committee (GIN reads the columns a condition names).
DROP INDEX opinion_search_texts_trgm_idx;
CREATE INDEX opinion_search_texts_trgm_idx ON opinion_search_texts
    USING gin (committee_id, title gin_trgm_ops, content gin_trgm_ops);

CREATE OR REPLACE FUNCTION opinion_search_text_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO opinion_search_texts (opinion_id, committee_id, title, content)
    VALUES (NEW.id, NEW.committee_id, NEW.title, NEW.content)
    ON CONFLICT (opinion_id) DO UPDATE
        SET committee_id = EXCLUDED.committee_id, title = EXCLUDED.title,
            content = EXCLUDED.content;
    RETURN NULL;
END
$$;
DROP TRIGGER opinion_search_text_corrected ON opinions;
CREATE TRIGGER opinion_search_text_corrected AFTER UPDATE OF title, content, committee_id
    ON opinions
    FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.content IS DISTINCT FROM NEW.content
          OR OLD.committee_id IS DISTINCT FROM NEW.committee_id)
    EXECUTE FUNCTION opinion_search_text_kept();
