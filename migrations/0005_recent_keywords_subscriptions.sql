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