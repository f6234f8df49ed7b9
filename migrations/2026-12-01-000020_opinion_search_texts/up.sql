-- The words an opinion is found by (`q`) in a table of their own. The trigram indexes sat on
-- `opinions`, where every step changes an indexed column (`state`), so no update is HOT and
-- each step put every trigram of the title and content into both GIN indexes again: a refer
-- paid for the opinion's whole text (up to 10,000 characters). Here the text is written when
-- the opinion is received, and again only if its title or content is corrected.
CREATE TABLE opinion_search_texts (
    opinion_id uuid PRIMARY KEY REFERENCES opinions (id) ON DELETE CASCADE,
    title      text NOT NULL,
    content    text NOT NULL
);
INSERT INTO opinion_search_texts (opinion_id, title, content)
SELECT id, title, content FROM opinions;
-- Substring search in Chinese: trigrams need no word segmentation. One index over both
-- columns: `title ILIKE p OR content ILIKE p` is two scans of it.
CREATE INDEX opinion_search_texts_trgm_idx ON opinion_search_texts
    USING gin (title gin_trgm_ops, content gin_trgm_ops);
DROP INDEX opinions_title_trgm_idx;
DROP INDEX opinions_content_trgm_idx;

CREATE FUNCTION opinion_search_text_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO opinion_search_texts (opinion_id, title, content)
    VALUES (NEW.id, NEW.title, NEW.content)
    ON CONFLICT (opinion_id) DO UPDATE SET title = EXCLUDED.title, content = EXCLUDED.content;
    RETURN NULL;
END
$$;
CREATE TRIGGER opinion_search_text_received AFTER INSERT ON opinions
    FOR EACH ROW EXECUTE FUNCTION opinion_search_text_kept();
CREATE TRIGGER opinion_search_text_corrected AFTER UPDATE OF title, content ON opinions
    FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.content IS DISTINCT FROM NEW.content)
    EXECUTE FUNCTION opinion_search_text_kept();
