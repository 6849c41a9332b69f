-- Issue 12: the trigram index (contents_fts) is written behind delivery, in batches
-- (src/store/search-indexer.ts). meta 'search_indexed_upto' is the highest content id up to which
-- every content is in the index or gone; every content stored so far was indexed at delivery.
INSERT OR IGNORE INTO `meta` (`key`, `value`) SELECT 'search_indexed_upto', CAST(coalesce(max(`id`), 0) AS TEXT) FROM `contents`;
