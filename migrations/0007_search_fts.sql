-- Custom SQL migration file, put your code below! --
-- hand-written:
-- SEARCH's prefilter (src/store/search-index.ts): an FTS5 index with the trigram tokenizer over
-- the search text stored at delivery, one row per content (rowid = contents.id). Contentless
-- (the text stays in contents only) with contentless_delete so an expunged content's row can go.
-- Filled here from what is stored, in the same migration, so the index is never behind the rows
-- it prefilters (a missing row would hide a match).
CREATE VIRTUAL TABLE `contents_fts` USING fts5(`headers`, `body`, tokenize = 'trigram', content = '', contentless_delete = 1);--> statement-breakpoint
INSERT INTO `contents_fts` (`rowid`, `headers`, `body`) SELECT `id`, `search_headers`, `search_text` FROM `contents`;
