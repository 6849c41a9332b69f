CREATE TABLE `queue` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`content_id` integer NOT NULL,
	`sender` text NOT NULL,
	`recipient` text NOT NULL,
	`domain` text NOT NULL,
	`notify` text,
	`orcpt` text,
	`ret` text,
	`envid` text,
	`account_id` integer,
	`status` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`content_id`) REFERENCES `contents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `queue_due` ON `queue` (`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `queue_content` ON `queue` (`content_id`);--> statement-breakpoint
CREATE INDEX `queue_domain` ON `queue` (`domain`);