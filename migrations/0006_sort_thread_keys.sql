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