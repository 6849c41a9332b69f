CREATE TABLE `greylist` (
	`client_net` text NOT NULL,
	`sender` text NOT NULL,
	`recipient` text NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`passed_at` integer,
	PRIMARY KEY(`client_net`, `sender`, `recipient`)
);
--> statement-breakpoint
CREATE INDEX `greylist_last_seen` ON `greylist` (`last_seen`);--> statement-breakpoint
CREATE TABLE `spam_learns` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`content_id` integer NOT NULL,
	`kind` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_error` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `spam_learns_due` ON `spam_learns` (`next_attempt_at`);