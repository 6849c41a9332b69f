CREATE TABLE `metadata` (
	`account_id` integer NOT NULL,
	`mailbox_id` integer NOT NULL,
	`name` text NOT NULL,
	`value` blob NOT NULL,
	PRIMARY KEY(`account_id`, `mailbox_id`, `name`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
