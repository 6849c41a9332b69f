ALTER TABLE `messages` ADD `sort_date` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `messages_mailbox_sort_date` ON `messages` (`mailbox_id`,`sort_date`,`uid`);--> statement-breakpoint
-- hand-written:
-- Messages stored before: their content's sent date, or their internal date (RFC 5256 §2.2).
UPDATE `messages` SET `sort_date` = coalesce((SELECT `sent_at` FROM `contents` WHERE `contents`.`id` = `messages`.`content_id`), `internal_date`);
