CREATE TABLE `acme_accounts` (
	`directory` text PRIMARY KEY NOT NULL,
	`private_key` text NOT NULL,
	`url` text NOT NULL,
	`contact` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `acme_certificates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`directory` text NOT NULL,
	`names` text NOT NULL,
	`chain` text NOT NULL,
	`private_key` text NOT NULL,
	`not_before` integer NOT NULL,
	`not_after` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
