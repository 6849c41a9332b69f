CREATE TABLE `imported` (
	`account_id` integer NOT NULL,
	`source_key` text NOT NULL,
	PRIMARY KEY(`account_id`, `source_key`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `mailboxes` ADD `expunged_floor` integer DEFAULT 0 NOT NULL;