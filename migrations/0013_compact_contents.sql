CREATE TABLE `sort_keys` (
	`content_id` integer PRIMARY KEY NOT NULL,
	`base_subject` text DEFAULT '' NOT NULL,
	`sort_from` text DEFAULT '' NOT NULL,
	`sort_to` text DEFAULT '' NOT NULL,
	`sort_cc` text DEFAULT '' NOT NULL,
	`display_from` text DEFAULT '' NOT NULL,
	`display_to` text DEFAULT '' NOT NULL,
	FOREIGN KEY (`content_id`) REFERENCES `contents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `contents` DROP COLUMN `search_headers`;--> statement-breakpoint
-- hand-written:
-- The string sort keys move out of contents into their own table (migration 0013 drops the
-- columns and the covering index that held them a second time). Contents whose keys were never
-- derived (sort_version 0) come along empty; the startup backfill (sort-keys-backfill.ts) fills them.
INSERT INTO `sort_keys` (`content_id`, `base_subject`, `sort_from`, `sort_to`, `sort_cc`, `display_from`, `display_to`)
  SELECT `id`, `base_subject`, `sort_from`, `sort_to`, `sort_cc`, `display_from`, `display_to` FROM `contents`;
--> statement-breakpoint
-- A body search text that is its preview lower-cased is no longer stored twice (contents.ts
-- storedSearchText; readers use searchTextSql(), which gives lower(preview) back for "").
UPDATE `contents` SET `search_text` = '' WHERE `search_text` <> '' AND `search_text` = lower(`preview`);
