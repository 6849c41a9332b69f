CREATE TABLE `delivery_hours` (
	`hour` integer PRIMARY KEY NOT NULL,
	`delivered` integer DEFAULT 0 NOT NULL,
	`bounced` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `web_sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`account_id` integer,
	`credential` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `web_sessions_last_seen` ON `web_sessions` (`last_seen_at`);--> statement-breakpoint
CREATE INDEX `web_sessions_account` ON `web_sessions` (`account_id`);