CREATE TABLE `accounts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`address` text NOT NULL,
	`domain_id` integer NOT NULL,
	`password_hash` text NOT NULL,
	`quota` integer,
	`used_bytes` integer DEFAULT 0 NOT NULL,
	`disabled` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`domain_id`) REFERENCES `domains`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_address_unique` ON `accounts` (`address`);--> statement-breakpoint
CREATE INDEX `accounts_domain` ON `accounts` (`domain_id`);--> statement-breakpoint
CREATE TABLE `alias_targets` (
	`alias_id` integer NOT NULL,
	`account_id` integer NOT NULL,
	PRIMARY KEY(`alias_id`, `account_id`),
	FOREIGN KEY (`alias_id`) REFERENCES `aliases`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `alias_targets_account` ON `alias_targets` (`account_id`);--> statement-breakpoint
CREATE TABLE `aliases` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`address` text NOT NULL,
	`domain_id` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`domain_id`) REFERENCES `domains`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `aliases_address_unique` ON `aliases` (`address`);--> statement-breakpoint
CREATE INDEX `aliases_domain` ON `aliases` (`domain_id`);--> statement-breakpoint
CREATE TABLE `blobs` (
	`content_id` integer PRIMARY KEY NOT NULL,
	`data` blob NOT NULL,
	FOREIGN KEY (`content_id`) REFERENCES `contents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `contents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`size` integer NOT NULL,
	`header_end` integer NOT NULL,
	`envelope` text NOT NULL,
	`structure` text NOT NULL,
	`subject` text DEFAULT '' NOT NULL,
	`from_text` text DEFAULT '' NOT NULL,
	`to_text` text DEFAULT '' NOT NULL,
	`sent_at` integer,
	`preview` text DEFAULT '' NOT NULL,
	`search_headers` text DEFAULT '' NOT NULL,
	`search_text` text DEFAULT '' NOT NULL,
	`has_attachments` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `domains` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `domains_name_unique` ON `domains` (`name`);--> statement-breakpoint
CREATE TABLE `expunged` (
	`mailbox_id` integer NOT NULL,
	`uid` integer NOT NULL,
	`modseq` integer NOT NULL,
	PRIMARY KEY(`mailbox_id`, `uid`),
	FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `expunged_mailbox_modseq` ON `expunged` (`mailbox_id`,`modseq`);--> statement-breakpoint
CREATE TABLE `mailboxes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`name` text NOT NULL,
	`special_use` text,
	`uid_validity` integer NOT NULL,
	`uid_next` integer DEFAULT 1 NOT NULL,
	`highest_modseq` integer DEFAULT 1 NOT NULL,
	`subscribed` integer DEFAULT true NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mailboxes_account_name` ON `mailboxes` (`account_id`,`name`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`mailbox_id` integer NOT NULL,
	`uid` integer NOT NULL,
	`modseq` integer NOT NULL,
	`content_id` integer NOT NULL,
	`flags` integer DEFAULT 0 NOT NULL,
	`keywords` text DEFAULT '[]' NOT NULL,
	`internal_date` integer NOT NULL,
	`size` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`mailbox_id`) REFERENCES `mailboxes`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`content_id`) REFERENCES `contents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_mailbox_uid` ON `messages` (`mailbox_id`,`uid`);--> statement-breakpoint
CREATE INDEX `messages_mailbox_modseq` ON `messages` (`mailbox_id`,`modseq`);--> statement-breakpoint
CREATE INDEX `messages_mailbox_flags` ON `messages` (`mailbox_id`,`flags`);--> statement-breakpoint
CREATE INDEX `messages_content` ON `messages` (`content_id`);--> statement-breakpoint
CREATE INDEX `messages_account` ON `messages` (`account_id`);--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
