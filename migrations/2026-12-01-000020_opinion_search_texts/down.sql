DROP TRIGGER opinion_search_text_corrected ON opinions;
DROP TRIGGER opinion_search_text_received ON opinions;
DROP FUNCTION opinion_search_text_kept();
DROP TABLE opinion_search_texts;
CREATE INDEX opinions_title_trgm_idx ON opinions USING gin (title gin_trgm_ops);
CREATE INDEX opinions_content_trgm_idx ON opinions USING gin (content gin_trgm_ops);
