-- The IMAP conformance, SORT/THREAD, OBJECTID and SEARCH-index migrations of one branch, in their order
-- (drizzle-kit generated each; the hand-written data moves are marked in place).
CREATE TABLE `subscriptions` (
	`account_id` integer NOT NULL,
	`name` text NOT NULL,
	PRIMARY KEY(`account_id`, `name`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `contents` ADD `sent_day` integer;--> statement-breakpoint
ALTER TABLE `mailboxes` ADD `recent_uid` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `mailboxes` ADD `keywords` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
-- Data moved by hand (the DDL above and below is drizzle-kit's): subscriptions leave the mailbox row
-- for their own table; what was there before this release counts as claimed for \Recent (the old
-- server never set it, and an upgrade should not make a whole mailbox recent); the keyword set of
-- each mailbox is read once from its messages.
INSERT INTO `subscriptions` (`account_id`, `name`) SELECT `account_id`, `name` FROM `mailboxes` WHERE `subscribed` = 1;--> statement-breakpoint
UPDATE `mailboxes` SET `recent_uid` = `uid_next` - 1;--> statement-breakpoint
UPDATE `mailboxes` SET `keywords` = (SELECT json_group_array(`value`) FROM (SELECT DISTINCT j.`value` FROM `messages` m, json_each(m.`keywords`) j WHERE m.`mailbox_id` = `mailboxes`.`id` ORDER BY j.`value`));--> statement-breakpoint
ALTER TABLE `mailboxes` DROP COLUMN `subscribed`;
--> statement-breakpoint
ALTER TABLE `contents` ADD `sort_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `contents` ADD `base_subject` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `contents` ADD `is_reply` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `contents` ADD `sort_from` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `contents` ADD `sort_to` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `contents` ADD `sort_cc` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `contents` ADD `display_from` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `contents` ADD `display_to` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `contents` ADD `message_id` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `contents` ADD `refs` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `contents_message_id` ON `contents` (`message_id`);--> statement-breakpoint
ALTER TABLE `messages` ADD `thread_id` integer;
--> statement-breakpoint
-- Custom SQL migration file, put your code below! --
-- hand-written:
-- SEARCH's prefilter (src/store/search-index.ts): an FTS5 index with the trigram tokenizer over
-- the search text stored at delivery, one row per content (rowid = contents.id). Contentless
-- (the text stays in contents only) with contentless_delete so an expunged content's row can go.
-- Filled here from what is stored, in the same migration, so the index is never behind the rows
-- it prefilters (a missing row would hide a match).
CREATE VIRTUAL TABLE `contents_fts` USING fts5(`headers`, `body`, tokenize = 'trigram', content = '', contentless_delete = 1);--> statement-breakpoint
INSERT INTO `contents_fts` (`rowid`, `headers`, `body`) SELECT `id`, `search_headers`, `search_text` FROM `contents`;
--> statement-breakpoint
ALTER TABLE `messages` ADD `sort_date` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `messages_mailbox_sort_date` ON `messages` (`mailbox_id`,`sort_date`,`uid`);--> statement-breakpoint
-- hand-written:
-- Messages stored before: their content's sent date, or their internal date (RFC 5256 §2.2).
UPDATE `messages` SET `sort_date` = coalesce((SELECT `sent_at` FROM `contents` WHERE `contents`.`id` = `messages`.`content_id`), `internal_date`);
--> statement-breakpoint
CREATE INDEX `contents_sort_keys` ON `contents` (`id`,`base_subject`,`sort_from`,`sort_to`,`sort_cc`,`display_from`,`display_to`);
